import { z } from 'zod';
import { parseJson } from '../parseJson.js';
import { checkGrounding, groundTruth, withoutUnsupported } from './grounding.js';

/** Revisions after the first draft, unless the agent sets its own. */
export const DEFAULT_MAX_REVISIONS = 2;

/** Per agent: `review: true` or `review: { maxRevisions }` turns the grounding review on for its replies. */
export interface ReviewOptions {
  maxRevisions?: number;
}

export const reviewVerdictSchema = z.object({
  approved: z.boolean(),
  issues: z.array(z.string()).default([]),
  score: z.number().min(0).max(1),
});
export type ReviewVerdict = z.infer<typeof reviewVerdictSchema>;

export const REVIEW_INSTRUCTIONS = [
  'You check a customer-support reply against its sources before it is sent.',
  'Approve it only if every fact it states (ids, dates, amounts, statuses, names, tracking numbers, policies) appears in the sources.',
  'A source that says the customer wrote it is their claim, not a record: the reply may repeat it as theirs, but not confirm it.',
  'List each claim the sources do not support, or contradict, as one short issue. Wording and tone are not issues.',
  'Answer with a JSON object only: {"approved": true|false, "issues": ["…"], "score": 0.0-1.0}, where score is the share of the reply that is supported.',
].join('\n');

/** When review and the last guard leave nothing to send. */
export const UNCONFIRMED_REPLY =
  "Sorry, I couldn't confirm the details of that from our records. Could you tell me a bit more, or would you like a person to check?";

export function reviewPrompt(draft: string, sources: string[]): string {
  const listed = sources.map((source, i) => `[${i + 1}] ${source}`).join('\n');
  return `Sources:\n${listed || '(none)'}\n\nDraft reply:\n${draft}`;
}

export function revisionPrompt(issues: string[]): string {
  return [
    'A reviewer checked your reply against the tool results and found these problems:',
    ...issues.map((issue) => `- ${issue}`),
    "Write the reply to the customer again, fixing every problem. State only what the tool results and the fact sheet say (the customer's own words are their claims, not records); where something is not known, say so instead of guessing. Answer with the reply only.",
  ].join('\n');
}

/** The verdict in a reviewer's answer, tolerating a Markdown code fence; undefined when it is not a valid verdict. */
export function parseVerdict(text: string): ReviewVerdict | undefined {
  return parseJson(text.trim().replace(/^```(?:json)?\s*|\s*```$/g, ''), reviewVerdictSchema);
}

/** The figure-and-id reviewer: what the offline engine answers, and the fallback when a reviewer's answer is unusable. */
export function groundingVerdict(draft: string, sources: string[] | Set<string>): ReviewVerdict {
  const truth = sources instanceof Set ? sources : groundTruth(sources);
  const { unsupported, score } = checkGrounding(draft, truth);
  return {
    approved: unsupported.length === 0,
    issues: unsupported.map((claim) => `"${claim.text}" does not appear in any source`),
    score,
  };
}

/** What the loop needs from the run loop: model calls that count towards the turn, and a place to report. */
export interface ReviewSteps {
  /** The reviewer's raw answer, or undefined when the call failed. */
  review(draft: string, sources: string[]): Promise<string | undefined>;
  /** The agent's rewritten reply, or undefined when the call failed. */
  revise(draft: string, issues: string[]): Promise<string | undefined>;
  /** `trimmed`: the verdict on the best draft without its unsupported ids, figures and dates, after no draft passed. */
  report(verdict: ReviewVerdict, revision: number, trimmed: boolean): void;
}

/**
 * Draft → review → revise, at most `maxRevisions` times, stopping early when a revision scores no better than
 * the one before. An approved draft leaves without any id, figure or date the sources lack (a model reviewer can
 * miss one). When no draft passed, the best one is not sent as it is: a rejection may be about what the figure
 * check cannot see (a carrier, "tomorrow"). Without its unsupported ids, figures and dates it gets one more review;
 * if that fails too, or nothing is left, the customer gets UNCONFIRMED_REPLY.
 */
export async function reviewDraft(
  draft: string,
  sources: string[],
  maxRevisions: number,
  steps: ReviewSteps,
): Promise<string> {
  const truth = groundTruth(sources);
  let current = draft;
  let best = { text: draft, score: -1 };
  let previousScore = -1;
  let revision = 0;
  const judge = async (text: string, trimmed: boolean) => {
    const answer = await steps.review(text, sources);
    const verdict = (answer !== undefined ? parseVerdict(answer) : undefined) ?? groundingVerdict(text, truth);
    steps.report(verdict, revision, trimmed);
    return verdict;
  };
  for (; ; revision++) {
    const verdict = await judge(current, false);
    if (verdict.approved) return withoutUnsupported(current, truth) || UNCONFIRMED_REPLY;
    if (verdict.score > best.score) best = { text: current, score: verdict.score };
    if (revision >= maxRevisions || verdict.score <= previousScore) break;
    previousScore = verdict.score;
    const revised = await steps.revise(
      current,
      verdict.issues.length ? verdict.issues : ['The reply states facts the sources do not support.'],
    );
    if (revised === undefined || revised.trim() === '') break;
    current = revised;
  }
  const guarded = withoutUnsupported(best.text, truth);
  if (guarded !== '' && guarded !== best.text && (await judge(guarded, true)).approved) return guarded;
  return UNCONFIRMED_REPLY;
}
