/**
 * `npm run bench:routing`: how well the offline intent router sends first messages where they belong, on a held-out
 * set written apart from the training utterances (bench/routing-eval.jsonl), and how much of the traffic fast-path
 * triage would hand off without a model call.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { z } from 'zod';
import { createAgentRegistry } from '../agents/registry.js';
import { loadConfig } from '../src/config.js';
import type { AgentRegistry } from '../src/index.js';
import { CONVERSATION_INTENTS, VAGUE_MESSAGES } from '../src/orchestrator/conversationIntents.js';
import { IntentRouter, type RouteDecision } from '../src/orchestrator/intentRouter.js';
import { runIfEntryPoint } from './entry.js';

export const EVAL_SET_PATH = fileURLToPath(new URL('./routing-eval.jsonl', import.meta.url));
/**
 * The held-back part: written with the eval set, by the same outside hand, and never read while tuning. Its report
 * gives figures only, never its messages, so running it does not show what to tune for.
 */
export const HELD_OUT_SET_PATH = fileURLToPath(new URL('./routing-heldout.jsonl', import.meta.url));

export const EVAL_ROUTES = ['orders', 'technical_support', 'billing', 'general', 'human'] as const;
export type EvalRoute = (typeof EVAL_ROUTES)[number];
const SPECIALIST_ROUTES: readonly EvalRoute[] = ['orders', 'technical_support', 'billing'];

/** Thresholds shown beside the configured one, to see what moving it would trade. */
export const CONTEXT_THRESHOLDS = [0.7, 0.8, 0.95] as const;
const MAX_MISROUTES_LISTED = 15;
/** An eval line whose word set overlaps a training utterance this much (Jaccard) is reported as leaked. */
const LEAK_JACCARD = 0.7;
/** The first classification pays for lazy set-up; it is routed before timing starts and not counted. */
const WARM_UP_TEXT = 'warm-up message, not part of the eval set';

const evalCaseSchema = z.object({ text: z.string().trim().min(1), route: z.enum(EVAL_ROUTES) });
export type EvalCase = z.infer<typeof evalCaseSchema>;

export interface RouteMetrics {
  route: EvalRoute;
  /** Messages whose true route is this one. */
  support: number;
  /** Messages the router sent to this route. */
  predicted: number;
  correct: number;
  /** null when nothing was predicted for this route. */
  precision: number | null;
  recall: number | null;
}

export interface FastPathFigures {
  threshold: number;
  /** Messages routed to a specialist with score ≥ threshold: handed off without a model call. */
  taken: number;
  /** taken ÷ all messages. */
  coverage: number;
  /** taken ÷ messages whose true route is a specialist. */
  coverageOfSpecialist: number;
  /** Share of the taken messages whose true route is the specialist they went to; null when none were taken. */
  precision: number | null;
  wrong: number;
}

export interface Misroute {
  text: string;
  expected: EvalRoute;
  got: EvalRoute;
  /** The router's own route kind, e.g. 'unclear' or 'greeting' behind a 'general'. */
  kind: string;
  /** The classifier's best intent and its score; 'None' with a high score means nothing it was trained on fits. */
  intent: string;
  score: number;
}

export interface RoutingReport {
  file: string;
  cases: number;
  trainingMs: number;
  correct: number;
  accuracy: number;
  perRoute: RouteMetrics[];
  /** confusion[expected][predicted] = count. */
  confusion: Record<EvalRoute, Record<EvalRoute, number>>;
  latencyMs: { mean: number; p95: number };
  unclear: KindCount;
  /** Messages the router found about something none of the agents is for. */
  offTopic: KindCount;
  fastPath: { configured: FastPathFigures; context: FastPathFigures[] };
  misrouted: number;
  /** The most confident misroutes first: those are the ones training examples should fix. */
  misroutes: Misroute[];
  /** Eval lines too close to a training utterance; the figures overstate accuracy while any are listed. */
  leaks: Array<{ text: string; trainedOn: string }>;
  /** Accuracy on the lines that are not near-copies of a training utterance. */
  unleaked: { cases: number; accuracy: number };
}

export function loadEvalSet(file: string = EVAL_SET_PATH): EvalCase[] {
  const cases: EvalCase[] = [];
  readFileSync(file, 'utf8')
    .split('\n')
    .forEach((line, index) => {
      if (line.trim() === '') return;
      let json: unknown;
      try {
        json = JSON.parse(line);
      } catch (err) {
        throw new Error(`${file}:${index + 1}: not JSON (${err instanceof Error ? err.message : String(err)})`);
      }
      const parsed = evalCaseSchema.safeParse(json);
      if (!parsed.success)
        throw new Error(
          `${file}:${index + 1}: ${parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`,
        );
      cases.push(parsed.data);
    });
  return cases;
}

/** Greetings, thanks, goodbyes, capabilities, unclear and off-topic messages are all answered by triage itself: the "general" route. */
export function evalRouteOf(decision: RouteDecision): EvalRoute {
  const { route } = decision;
  switch (route.kind) {
    case 'agent': {
      const id = route.agent.id;
      if (!(SPECIALIST_ROUTES as readonly string[]).includes(id))
        throw new Error(`the eval set has no route for agent "${id}"`);
      return id as EvalRoute;
    }
    case 'human':
      return 'human';
    case 'greeting':
    case 'thanks':
    case 'goodbye':
    case 'capabilities':
    case 'unclear':
    case 'off_topic':
      return 'general';
  }
}

const ratio = (part: number, whole: number): number | null => (whole === 0 ? null : part / whole);

/** How many messages got one route kind of the router's, by the route they should have had. */
export interface KindCount {
  total: number;
  byExpected: Record<EvalRoute, number>;
}

function countKind(kind: RouteDecision['route']['kind'], cases: EvalCase[], decisions: RouteDecision[]): KindCount {
  const byExpected = Object.fromEntries(EVAL_ROUTES.map((r) => [r, 0])) as Record<EvalRoute, number>;
  cases.forEach((c, i) => {
    if (decisions[i]!.route.kind === kind) byExpected[c.route] += 1;
  });
  return { total: Object.values(byExpected).reduce((s, v) => s + v, 0), byExpected };
}

function formatKindCount(label: string, count: KindCount): string {
  const detail = EVAL_ROUTES.filter((r) => count.byExpected[r] > 0).map((r) => `${r} ${count.byExpected[r]}`);
  return `${label}: ${count.total}${detail.length > 0 ? ` (expected ${detail.join(', ')})` : ''}`;
}

function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return 0;
  return sorted[Math.min(sorted.length - 1, Math.ceil(p * sorted.length) - 1)]!;
}

function fastPathAt(threshold: number, cases: EvalCase[], decisions: RouteDecision[]): FastPathFigures {
  let taken = 0;
  let right = 0;
  cases.forEach((c, i) => {
    const decision = decisions[i]!;
    if (decision.route.kind !== 'agent' || decision.score < threshold) return;
    taken += 1;
    if (decision.route.agent.id === c.route) right += 1;
  });
  const specialist = cases.filter((c) => SPECIALIST_ROUTES.includes(c.route)).length;
  return {
    threshold,
    taken,
    coverage: taken / cases.length,
    coverageOfSpecialist: ratio(taken, specialist) ?? 0,
    precision: ratio(right, taken),
    wrong: taken - right,
  };
}

const words = (text: string): Set<string> => new Set(text.toLowerCase().match(/[a-z0-9]+/g) ?? []);

/** Every string the router (or a tool) was trained or described with; the eval set must stay apart from them. */
function trainingUtterances(agents: AgentRegistry): string[] {
  const fromAgents = agents
    .all()
    .flatMap((agent) => [
      agent.description,
      ...(agent.examples ?? []),
      ...(agent.tools ?? []).flatMap((tool) => tool.examples),
    ]);
  return [...fromAgents, ...Object.values(CONVERSATION_INTENTS).flat(), ...VAGUE_MESSAGES];
}

function accuracyWithout(
  cases: EvalCase[],
  decisions: RouteDecision[],
  leaks: RoutingReport['leaks'],
): Pick<RoutingReport, 'unleaked'> {
  const leaked = new Set(leaks.map((l) => l.text));
  const kept = cases.flatMap((c, i) => (leaked.has(c.text) ? [] : [[c, decisions[i]!] as const]));
  const right = kept.filter(([c, d]) => evalRouteOf(d) === c.route).length;
  return { unleaked: { cases: kept.length, accuracy: kept.length === 0 ? 0 : right / kept.length } };
}

function findLeaks(cases: EvalCase[], training: string[]): RoutingReport['leaks'] {
  const trainingWords = training.map((utterance) => ({ utterance, words: words(utterance) }));
  const leaks: RoutingReport['leaks'] = [];
  for (const { text } of cases) {
    const a = words(text);
    for (const t of trainingWords) {
      const shared = [...a].filter((w) => t.words.has(w)).length;
      if (shared / (a.size + t.words.size - shared) >= LEAK_JACCARD) {
        leaks.push({ text, trainedOn: t.utterance });
        break;
      }
    }
  }
  return leaks;
}

export interface BenchRoutingOptions {
  cases?: EvalCase[];
  /** The file the cases come from, for the report's heading. */
  file?: string;
  /** How many misroutes to list, most confident first. */
  misroutesListed?: number;
  /** Fast-path threshold to report first; defaults to the configured default. */
  threshold?: number;
}

export async function benchRouting(options: BenchRoutingOptions = {}): Promise<RoutingReport> {
  const file = options.file ?? EVAL_SET_PATH;
  const cases = options.cases ?? loadEvalSet(file);
  if (cases.length === 0) throw new Error('the routing eval set is empty');
  const threshold = options.threshold ?? loadConfig({}).fastPath.threshold;
  const agents = createAgentRegistry();
  const router = await IntentRouter.train(agents);
  await router.route(WARM_UP_TEXT);

  const decisions: RouteDecision[] = [];
  for (const c of cases) decisions.push(await router.route(c.text));
  const leaks = findLeaks(cases, trainingUtterances(agents));

  const confusion = Object.fromEntries(
    EVAL_ROUTES.map((e) => [e, Object.fromEntries(EVAL_ROUTES.map((p) => [p, 0]))]),
  ) as RoutingReport['confusion'];
  const misroutes: Misroute[] = [];
  cases.forEach((c, i) => {
    const decision = decisions[i]!;
    const got = evalRouteOf(decision);
    confusion[c.route][got] += 1;
    if (got !== c.route)
      misroutes.push({
        text: c.text,
        expected: c.route,
        got,
        kind: decision.route.kind,
        intent: decision.classification.intent,
        score: decision.score,
      });
  });
  misroutes.sort((a, b) => b.score - a.score);

  const perRoute = EVAL_ROUTES.map((route): RouteMetrics => {
    const support = EVAL_ROUTES.reduce((n, p) => n + confusion[route][p], 0);
    const predicted = EVAL_ROUTES.reduce((n, e) => n + confusion[e][route], 0);
    const correct = confusion[route][route];
    return {
      route,
      support,
      predicted,
      correct,
      precision: ratio(correct, predicted),
      recall: ratio(correct, support),
    };
  });
  const correct = perRoute.reduce((n, r) => n + r.correct, 0);
  const latencies = decisions.map((d) => d.ms).sort((a, b) => a - b);

  return {
    file,
    cases: cases.length,
    trainingMs: router.trainingMs,
    correct,
    accuracy: correct / cases.length,
    perRoute,
    confusion,
    latencyMs: { mean: latencies.reduce((s, v) => s + v, 0) / latencies.length, p95: percentile(latencies, 0.95) },
    unclear: countKind('unclear', cases, decisions),
    offTopic: countKind('off_topic', cases, decisions),
    fastPath: {
      configured: fastPathAt(threshold, cases, decisions),
      context: CONTEXT_THRESHOLDS.filter((t) => t !== threshold).map((t) => fastPathAt(t, cases, decisions)),
    },
    misrouted: misroutes.length,
    ...accuracyWithout(cases, decisions, leaks),
    misroutes: misroutes.slice(0, options.misroutesListed ?? MAX_MISROUTES_LISTED),
    leaks,
  };
}

const pct = (value: number | null): string => (value === null ? '—' : `${(value * 100).toFixed(1)}%`);
const ROUTE_CHARS = 19;

function fastPathRow(f: FastPathFigures, note = ''): string {
  return `  ${f.threshold.toFixed(2).padEnd(11)}${String(f.taken).padStart(5)}  ${pct(f.coverage).padStart(8)}  ${pct(f.coverageOfSpecialist).padStart(13)}  ${pct(f.precision).padStart(9)}  ${String(f.wrong).padStart(5)}${note}`;
}

export function formatRoutingReport(report: RoutingReport): string {
  const short = (r: EvalRoute) => (r === 'technical_support' ? 'tech' : r).padStart(8);
  const { configured, context } = report.fastPath;
  return [
    `Intent routing on ${report.cases} messages not trained on (${path.relative(process.cwd(), report.file)})`,
    `training: ${report.trainingMs.toFixed(0)} ms`,
    `accuracy: ${pct(report.accuracy)} (${report.correct}/${report.cases}); 'unclear' and 'off topic' count as general`,
    `accuracy without the ${report.leaks.length} lines that are near-copies of a training phrase: ${pct(report.unleaked.accuracy)} (${report.unleaked.cases} lines)`,
    '',
    `${'route'.padEnd(ROUTE_CHARS)}precision   recall  support  predicted`,
    ...report.perRoute.map(
      (r) =>
        `${r.route.padEnd(ROUTE_CHARS)}${pct(r.precision).padStart(9)} ${pct(r.recall).padStart(8)} ${String(r.support).padStart(8)} ${String(r.predicted).padStart(10)}`,
    ),
    '',
    'confusion (rows: expected, columns: routed to)',
    `${''.padEnd(ROUTE_CHARS)}${EVAL_ROUTES.map(short).join('')}`,
    ...EVAL_ROUTES.map(
      (e) => `${e.padEnd(ROUTE_CHARS)}${EVAL_ROUTES.map((p) => String(report.confusion[e][p]).padStart(8)).join('')}`,
    ),
    '',
    `latency per message: mean ${report.latencyMs.mean.toFixed(3)} ms, p95 ${report.latencyMs.p95.toFixed(3)} ms`,
    formatKindCount('unclear', report.unclear),
    formatKindCount('off topic', report.offTopic),
    '',
    'fast path: routed to a specialist with score ≥ threshold, no model call',
    '  threshold  taken  coverage  of specialist  precision  wrong',
    fastPathRow(configured, '   ← configured default'),
    ...context.map((f) => fastPathRow(f)),
    '',
    report.misroutes.length === 0 && report.misrouted > 0
      ? `misrouted: ${report.misrouted} (not listed)`
      : `misrouted: ${report.misrouted}${report.misrouted > report.misroutes.length ? `, the ${report.misroutes.length} most confident` : ''} (score, expected → routed, classifier intent, text)`,
    ...report.misroutes.map(
      (m) =>
        `  ${m.score.toFixed(2)}  ${`${m.expected} → ${m.got}`.padEnd(32)} ${m.intent.padEnd(24)} ${JSON.stringify(m.text)}`,
    ),
    ...(report.leaks.length === 0
      ? []
      : [
          '',
          `WARNING: ${report.leaks.length} eval lines are near-copies of training utterances; rephrase them:`,
          ...report.leaks
            .filter((l) => l !== HIDDEN_LEAK)
            .map((l) => `  ${JSON.stringify(l.text)} ~ ${JSON.stringify(l.trainedOn)}`),
        ]),
  ].join('\n');
}

/**
 * `npm run bench:routing`: the tuning set, with its misroutes listed (`--misroutes=N` for more).
 * `npm run bench:routing -- --held-out`: the held-back set, figures only. Run it once tuning is done.
 * `npm run bench:routing -- --file=<set.jsonl>`: another set never tuned on, figures only.
 */
/** The held-back set's near-copies are counted, not shown. */
const HIDDEN_LEAK = { text: '(held back)', trainedOn: '' };

/** The report with its near-copies counted but not quoted: for the held-back set, whose lines stay unread. */
export function withLeaksHidden(report: RoutingReport): RoutingReport {
  return { ...report, leaks: report.leaks.map(() => HIDDEN_LEAK) };
}

async function main(): Promise<void> {
  const args = process.argv.slice(2);
  const listed = Number(args.find((a) => a.startsWith('--misroutes='))?.split('=')[1] ?? MAX_MISROUTES_LISTED);
  const file = args.find((a) => a.startsWith('--file='))?.slice('--file='.length);
  if (args.includes('--held-out') || file !== undefined) {
    const report = await benchRouting({ file: file ? path.resolve(file) : HELD_OUT_SET_PATH, misroutesListed: 0 });
    process.stdout.write(`${formatRoutingReport(withLeaksHidden(report))}\n`);
    return;
  }
  process.stdout.write(`${formatRoutingReport(await benchRouting({ misroutesListed: listed }))}\n`);
}

runIfEntryPoint(import.meta.url, main);
