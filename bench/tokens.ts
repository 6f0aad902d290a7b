import { runIfEntryPoint } from './entry.js';
/**
 * `npx tsx bench/tokens.ts`: prompt tokens per model call along one 200-turn conversation, with compaction
 * (the default context budget) and without it, at turns 20, 100 and 200.
 */
import { BenchModel, benchApp } from './offlineModel.js';
import { BENCH_CUSTOMER_EMAIL } from './scenario.js';

export const TURNS = 200;
export const CHECKPOINTS = [20, 100, 200];
/** The issue's goal: the prompt at turn 200 is at most this multiple of the prompt at turn 20. */
const GOAL_RATIO = 1.25;

/**
 * A customer who keeps asking: orders, help articles, invoices, small talk. Eleven lines, so turns 20, 100 and
 * 200 land on different ones.
 */
const SCRIPT = [
  'Where is my order ORD-1001?',
  'thanks',
  'Has ORD-1003 shipped yet?',
  'The app keeps logging me out',
  'Can you explain invoice INV-2001?',
  'What can you do?',
  'When will ORD-1004 arrive?',
  'My 2FA code is not working',
  'Is invoice INV-2002 paid?',
  'How long does shipping take?',
  'great, thanks',
];

export interface TokenRun {
  label: string;
  /** Mean prompt tokens of the agents' reply calls in each checkpoint turn. */
  promptTokensAt: Record<number, number>;
  /** Every reply call's prompt tokens, in order; for the curve's spread. */
  maxPromptTokens: number;
  compactions: number;
  modelCalls: number;
}

export interface TokenReport {
  turns: number;
  withCompaction: TokenRun;
  withoutCompaction: TokenRun;
  /** Turn 200 ÷ turn 20, with compaction. */
  ratio: number;
  budget: string;
}

async function playThread(label: string, env: Record<string, string>): Promise<TokenRun> {
  const model = await BenchModel.create();
  const { app, close } = await benchApp(model, env);
  let compactions = 0;
  app.telemetry.on('compaction', () => (compactions += 1));
  try {
    for (let turn = 1; turn <= TURNS; turn++) {
      model.turn = turn;
      const text = SCRIPT[(turn - 1) % SCRIPT.length]!;
      const outcome = await app.service.handle({
        id: `tokens-${label}-${turn}`,
        thread: `bench:tokens:${label}`,
        userId: 'U-bench',
        verifiedEmail: BENCH_CUSTOMER_EMAIL,
        text,
      });
      if (outcome.status !== 'answered')
        throw new Error(`${label}: turn ${turn} was ${outcome.status}: ${outcome.reply}`);
    }
  } finally {
    await close();
  }
  const replies = model.calls.filter((c) => c.purpose === 'reply');
  const promptTokensAt: Record<number, number> = {};
  for (const turn of CHECKPOINTS) {
    const calls = replies.filter((c) => c.turn === turn);
    promptTokensAt[turn] = Math.round(calls.reduce((sum, c) => sum + c.promptTokens, 0) / calls.length);
  }
  return {
    label,
    promptTokensAt,
    maxPromptTokens: Math.max(...replies.map((c) => c.promptTokens)),
    compactions,
    modelCalls: model.calls.length,
  };
}

export async function benchTokens(): Promise<TokenReport> {
  const withCompaction = await playThread('compaction', {});
  const withoutCompaction = await playThread('no-compaction', { CONTEXT_TOKEN_BUDGET: '0' });
  const first = CHECKPOINTS[0]!;
  const last = CHECKPOINTS.at(-1)!;
  return {
    turns: TURNS,
    withCompaction,
    withoutCompaction,
    ratio: withCompaction.promptTokensAt[last]! / withCompaction.promptTokensAt[first]!,
    budget: 'CONTEXT_TOKEN_BUDGET=3000 (default), CONTEXT_KEEP_MESSAGES=12, TOOL_RESULT_HISTORY_CHARS=1500',
  };
}

export function formatTokens(report: TokenReport): string {
  const row = (run: TokenRun) =>
    `${run.label.padEnd(16)}${CHECKPOINTS.map((t) => String(run.promptTokensAt[t]).padStart(10)).join('')}${String(run.maxPromptTokens).padStart(10)}${String(run.compactions).padStart(13)}`;
  const verdict = report.ratio <= GOAL_RATIO ? 'met' : 'NOT met';
  return [
    `Prompt tokens per model call along one ${report.turns}-turn thread (shipped agents, offline engine answering; tokens counted as the API would bill what was sent: system, messages, tool schemas)`,
    `with compaction: ${report.budget}`,
    `${'run'.padEnd(16)}${CHECKPOINTS.map((t) => `turn ${t}`.padStart(10)).join('')}${'max'.padStart(10)}${'compactions'.padStart(13)}`,
    row(report.withCompaction),
    row(report.withoutCompaction),
    `turn ${CHECKPOINTS.at(-1)} ÷ turn ${CHECKPOINTS[0]} with compaction: ${report.ratio.toFixed(2)}  — goal ≤ ${GOAL_RATIO}: ${verdict}`,
  ].join('\n');
}

runIfEntryPoint(import.meta.url, async () => {
  process.stdout.write(`${formatTokens(await benchTokens())}\n`);
});
