import type { Telemetry } from '../telemetry.js';
import type { Agent } from './agent.js';
import { customerSource, groundTruth, policySource, withoutUnsupported } from './grounding.js';
import type { ModelCalls } from './modelCalls.js';
import { mergeDelegateAnswers } from './protocol.js';
import {
  DEFAULT_MAX_REVISIONS,
  REVIEW_INSTRUCTIONS,
  type ReviewOptions,
  reviewDraft,
  reviewPrompt,
  revisionPrompt,
} from './review.js';
import type { Turn } from './turn.js';

export interface FinalTextOptions {
  calls: ModelCalls;
  telemetry: Telemetry;
  /** The agent's system prompt for this turn, for a revision. */
  systemFor(turn: Turn, agent: Agent): string;
}

/**
 * What an agent's last words become before the customer sees them: checked against their sources by a reviewer when
 * the agent opted in, and kept to what the specialists said when they merge consulted answers.
 */
export class FinalText {
  constructor(private readonly options: FinalTextOptions) {}

  /** The agent's last words, after review when it opted in; a merge of specialists' answers may add no figure of its own. */
  async of(turn: Turn, draft: string, review: ReviewOptions | undefined): Promise<string> {
    if (draft.trim() === '') return draft;
    if (review) return this.reviewed(turn, draft, review);
    if (turn.delegations.length === 0) return draft;
    const sources = [
      customerSource(turn.input.text),
      ...turn.delegations.map((d) => JSON.stringify(d.answer)),
      ...Object.values(turn.facts).map((f) => f.value),
    ];
    return (
      withoutUnsupported(draft, groundTruth(sources)) || mergeDelegateAnswers(turn.delegations.map((d) => d.answer))
    );
  }

  private async reviewed(turn: Turn, draft: string, review: ReviewOptions): Promise<string> {
    const agent = turn.agent;
    const sources = this.sourcesOf(turn);
    return reviewDraft(draft, sources, review.maxRevisions ?? DEFAULT_MAX_REVISIONS, {
      review: (text, listed) =>
        this.options.calls.aside(turn, agent, 'review', {
          system: REVIEW_INSTRUCTIONS,
          messages: [{ role: 'user', content: reviewPrompt(text, listed) }],
          json: true,
          context: { draft: text, sources: listed },
        }),
      revise: (text, issues) =>
        this.options.calls.aside(turn, agent, 'revise', {
          system: this.options.systemFor(turn, agent),
          messages: [
            ...turn.state.history,
            { role: 'assistant', content: text },
            { role: 'user', content: revisionPrompt(issues) },
          ],
          context: { draft: text, sources, issues, facts: this.options.calls.factValues(turn) },
        }),
      report: (verdict, revision, trimmed) =>
        this.options.telemetry.emit({
          type: 'review',
          thread: turn.input.thread,
          agent: agent.id,
          revision,
          trimmed,
          approved: verdict.approved,
          score: verdict.score,
          issues: verdict.issues.length,
        }),
    });
  }

  /** What a reviewed reply may state: the agent's own policy text, tool results, the facts and summary; the customer's words as their claims. */
  private sourcesOf(turn: Turn): string[] {
    const sources = [policySource(turn.agent.instructions)];
    for (const m of turn.state.history)
      if (m.role === 'tool' || m.role === 'user')
        sources.push(m.role === 'user' ? customerSource(m.content) : m.content);
    for (const [key, fact] of Object.entries(turn.facts)) sources.push(`${key}: ${fact.value}`);
    if (!turn.delegated && turn.state.summary) sources.push(turn.state.summary);
    return sources;
  }
}
