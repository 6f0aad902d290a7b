/**
 * Retrieval quality on a help center written for it (bench/knowledge-eval: 64 articles about "Notebloom", a
 * note-taking app nothing else here is about, and customer questions written apart from the search code).
 * Reports passage hit@1 and hit@3, how often unanswerable questions are declined, and how many answerable ones
 * the router sends to an agent that searches rather than declining them. `heldout.jsonl` was kept unseen while
 * tuning: its figures are reported on their own.
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { createAgentRegistry, DEFAULT_KNOWLEDGE_AGENT_ID } from '../agents/registry.js';
import { HelpCenter } from '../src/knowledge/helpCenter.js';
import { createLogger } from '../src/log.js';
import { IntentRouter } from '../src/orchestrator/intentRouter.js';
import { runIfEntryPoint } from './entry.js';

const EVAL_DIR = new URL('./knowledge-eval/', import.meta.url);
export const SETS = { tuning: 'questions.jsonl', 'held out': 'heldout.jsonl' } as const;

interface Question {
  question: string;
  /** The article id that answers it, or null when no article does. */
  expected: string | null;
}

export interface RetrievalReport {
  set: string;
  answerable: number;
  hitAt1: number;
  hitAt3: number;
  /** Answerable questions for which search returned nothing. */
  wronglyDeclined: number;
  unanswerable: number;
  declined: number;
  /** Answerable questions the router sends to a specialist (every specialist searches). */
  routedToSearch: number;
  misses: string[];
}

function questions(file: string): Question[] {
  return readFileSync(new URL(file, EVAL_DIR), 'utf8')
    .split('\n')
    .filter((line) => line.trim() !== '')
    .map((line) => JSON.parse(line) as Question);
}

export async function benchRetrieval(
  options: { sets?: Array<keyof typeof SETS>; minRelevance?: number } = {},
): Promise<RetrievalReport[]> {
  const log = createLogger({ level: 'silent' });
  const helpCenter = new HelpCenter({
    dir: fileURLToPath(new URL('articles/', EVAL_DIR)),
    log,
    minRelevance: options.minRelevance,
  });
  await helpCenter.ready;
  const agents = createAgentRegistry(helpCenter);
  const router = await IntentRouter.train(agents, {
    helpCenter,
    knowledgeAgent: agents.get(DEFAULT_KNOWLEDGE_AGENT_ID),
  });
  const reports: RetrievalReport[] = [];
  for (const set of options.sets ?? (Object.keys(SETS) as Array<keyof typeof SETS>)) {
    const report: RetrievalReport = {
      set,
      answerable: 0,
      hitAt1: 0,
      hitAt3: 0,
      wronglyDeclined: 0,
      unanswerable: 0,
      declined: 0,
      routedToSearch: 0,
      misses: [],
    };
    for (const { question, expected } of questions(SETS[set])) {
      const hits = await helpCenter.search(question);
      const found = hits.map((hit) => hit.articleId);
      if (expected === null) {
        report.unanswerable++;
        if (hits.length === 0) report.declined++;
        else report.misses.push(`unanswerable, found ${found[0]}: ${question}`);
        continue;
      }
      report.answerable++;
      if (found[0] === expected) report.hitAt1++;
      if (found.slice(0, 3).includes(expected)) report.hitAt3++;
      else report.misses.push(`${expected}, found ${found[0] ?? 'nothing'}: ${question}`);
      if (hits.length === 0) report.wronglyDeclined++;
      if ((await router.routeRequest(question)).route.kind === 'agent') report.routedToSearch++;
    }
    reports.push(report);
  }
  await helpCenter.close();
  return reports;
}

const pct = (n: number, of: number) => `${((100 * n) / Math.max(1, of)).toFixed(1)}%`;

export function formatRetrieval(reports: RetrievalReport[], { misses = false } = {}): string {
  const lines = [
    'Help-center retrieval on bench/knowledge-eval: 64 articles (52 Markdown, 8 HTML, 4 text) about a note-taking app,',
    'questions written apart from the search code; keyword search (no embeddings), shipped threshold',
    '',
    `${'set'.padEnd(10)} ${'answerable'.padStart(10)} ${'hit@1'.padStart(7)} ${'hit@3'.padStart(7)} ${'no result'.padStart(9)} ${'unanswerable'.padStart(12)} ${'declined'.padStart(8)} ${'routed to an agent that searches'.padStart(33)}`,
  ];
  for (const r of reports) {
    lines.push(
      `${r.set.padEnd(10)} ${String(r.answerable).padStart(10)} ${pct(r.hitAt1, r.answerable).padStart(7)} ${pct(r.hitAt3, r.answerable).padStart(7)} ${pct(r.wronglyDeclined, r.answerable).padStart(9)} ${String(r.unanswerable).padStart(12)} ${pct(r.declined, r.unanswerable).padStart(8)} ${pct(r.routedToSearch, r.answerable).padStart(33)}`,
    );
  }
  if (misses) for (const r of reports) lines.push('', `${r.set} misses:`, ...r.misses.map((m) => `  ${m}`));
  return lines.join('\n');
}

async function main(): Promise<void> {
  // While tuning, leave the held-out set alone: `--held-out` is for the figures reported, once tuning is done.
  const heldOut = process.argv.includes('--held-out');
  const sweep = process.argv.find((arg) => arg.startsWith('--min-relevance='));
  const minRelevance = sweep ? Number(sweep.split('=')[1]) : undefined;
  const reports = await benchRetrieval({ sets: heldOut ? ['tuning', 'held out'] : ['tuning'], minRelevance });
  process.stdout.write(`${formatRetrieval(reports, { misses: process.argv.includes('--misses') })}\n`);
}

runIfEntryPoint(import.meta.url, main);
