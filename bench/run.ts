/**
 * `npm run bench`: framework overhead per model call against @openai/agents, prompt tokens along a long thread,
 * throughput with many threads at once, fan-out wall time, the help center's scale and retrieval quality, and how
 * well the offline router routes messages it was not trained on (the eval set, and the held-back set), and the whole
 * path through Slack Socket Mode and through Discord, each against a minimal bot on the same libraries.
 * Prints them and writes bench/RESULTS.md.
 */
import { execFileSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import {
  benchEndToEnd,
  END_TO_END_SUBJECTS,
  END_TO_END_THREADS,
  type EndToEndReport,
  formatEndToEnd,
  WARM_SUBJECTS,
  WARM_THREADS,
  WARM_UP_THREADS,
} from './endToEnd.js';
import {
  benchEndToEndDiscord,
  END_TO_END_DISCORD_SUBJECTS,
  END_TO_END_DISCORD_THREADS,
  type EndToEndDiscordReport,
  formatEndToEndDiscord,
} from './endToEndDiscord.js';
import { buildForStart } from './endToEndParts.js';
import { runIfEntryPoint } from './entry.js';
import { benchFanout, formatFanout } from './fanout.js';
import { benchRetrieval, formatRetrieval } from './knowledgeEval.js';
import { formatKnowledgeScale, type KnowledgeScaleReport } from './knowledgeScale.js';
import { benchLogRedaction } from './logRedaction.js';
import { machineInfo } from './machine.js';
import { benchOverhead, DEFAULT_ITERATIONS, type OverheadReport, type SubjectReport } from './overhead.js';
import { benchRouting, formatRoutingReport, HELD_OUT_SET_PATH, withLeaksHidden } from './routing.js';
import { MODEL_CALLS_PER_TURN, USER_TEXT } from './scenario.js';
import { formatThroughput, type ThroughputReport, type ThroughputStoreKind } from './throughput.js';
import { benchTokens, formatTokens } from './tokens.js';

/** The project's goal: our overhead is at most a fifth of theirs. */
const TARGET_RATIO = 0.2;

function iterationsFromEnv(value: string | undefined): number {
  if (value === undefined || value.trim() === '') return DEFAULT_ITERATIONS;
  const n = Number(value);
  if (!Number.isInteger(n) || n <= 0)
    throw new Error(`BENCH_ITERATIONS must be a positive integer, got ${JSON.stringify(value)}`);
  return n;
}

const ms = (value: number) => value.toFixed(3).padStart(9);
const LABEL_CHARS = 28;

function row(report: SubjectReport): string {
  const { overheadPerCallMs: o, wallPerTurnMs: w, modelPerCallMs: m } = report;
  return `${report.label.padEnd(LABEL_CHARS)}${ms(o.median)} ${ms(o.p90)}   ${ms(w.median)} ${ms(w.p90)}   ${ms(m.median)}`;
}

export function formatReport(report: OverheadReport): string {
  const { machine } = report;
  const verdict = report.ratio <= TARGET_RATIO ? 'met' : 'NOT met';
  return [
    `Framework overhead per model call: switchboard vs @openai/agents ${report.agentsSdkVersion}`,
    `scenario: "${USER_TEXT}" in a new thread each turn; triage → transfer_to_orders → lookup_order → answer (${MODEL_CALLS_PER_TURN} model calls)`,
    `overhead = (turn wall time − time inside model calls) / model calls; model time = HTTP + SSE parsing + the provider's conversion`,
    `  (for the SDK only the time inside the model stream's next() is model time; its work between events is overhead)`,
    ...[report.ours, report.theirs, ...report.diagnostics].map(
      (r) => `  ${`${r.label}:`.padEnd(LABEL_CHARS)}${r.mode}`,
    ),
    `machine: node ${machine.node}, ${machine.cpu}, ${machine.cores} cores, ${machine.memoryGB} GB, ${machine.platform}, load average ${machine.loadAverage1m.toFixed(2)} at start`,
    `turns: ${report.iterations} per runner after ${report.warmupIterations} warm-up, alternating in blocks of ${report.blockTurns}; fake model server on 127.0.0.1 in this process`,
    '',
    `${''.padEnd(LABEL_CHARS)} overhead/call (ms)    wall/turn (ms)         model/call (ms)`,
    `${'runner'.padEnd(LABEL_CHARS)}   median       p90      median       p90      median`,
    row(report.ours),
    row(report.theirs),
    ...report.diagnostics.map(row),
    '',
    `ratio ours/theirs (median overhead per call): ${report.ratio.toFixed(3)}  — goal ≤ ${TARGET_RATIO}: ${verdict}`,
    ...report.diagnostics.map((d) => `  diagnostic, ${d.label}: ${d.ratio.toFixed(3)}`),
  ].join('\n');
}

const RESULTS_FILE = new URL('./RESULTS.md', import.meta.url);

/**
 * In a fresh process: its peak RSS is the bot's with 1,000 threads, not that plus what the other benchmarks
 * (and @openai/agents) left in this one.
 */
function throughputInChild(store: ThroughputStoreKind, baseline: boolean): ThroughputReport {
  const script = fileURLToPath(new URL('./throughput.ts', import.meta.url));
  const args = ['--import', 'tsx', script, '--json', '--store', store, ...(baseline ? ['--baseline'] : [])];
  const output = execFileSync(process.execPath, args, { encoding: 'utf8', maxBuffer: 16 * 1024 * 1024 });
  return JSON.parse(output.trim().split('\n').at(-1)!) as ThroughputReport;
}

/** In a fresh process, so its RSS is the help center's alone (`--expose-gc`: it starts from a collected heap). */
function knowledgeScaleInChild(): KnowledgeScaleReport {
  const script = fileURLToPath(new URL('./knowledgeScale.ts', import.meta.url));
  const args = ['--expose-gc', '--import', 'tsx', script, '--json'];
  const output = execFileSync(process.execPath, args, { encoding: 'utf8', maxBuffer: 16 * 1024 * 1024 });
  return JSON.parse(output.trim().split('\n').at(-1)!) as KnowledgeScaleReport;
}

/** Each thread count for Switchboard, then for the minimal Bolt bot: each run in its own child process. */
async function endToEnd(): Promise<string> {
  const started = await buildForStart();
  const reports: EndToEndReport[] = [];
  for (const threads of END_TO_END_THREADS)
    for (const subject of END_TO_END_SUBJECTS) reports.push(await benchEndToEnd(subject, threads));
  for (const threads of WARM_THREADS)
    for (const subject of WARM_SUBJECTS)
      reports.push(await benchEndToEnd(subject, threads, { warmUpThreads: WARM_UP_THREADS }));
  return formatEndToEnd(reports, started);
}

/** 1,000 threads on Discord, Switchboard then the minimal discord.js bot. */
async function endToEndDiscord(): Promise<string> {
  const started = await buildForStart();
  const reports: EndToEndDiscordReport[] = [];
  for (const subject of END_TO_END_DISCORD_SUBJECTS)
    reports.push(await benchEndToEndDiscord(subject, END_TO_END_DISCORD_THREADS));
  return formatEndToEndDiscord(reports, started);
}

function commit(): string {
  try {
    return execFileSync('git', ['rev-parse', '--short', 'HEAD'], { encoding: 'utf8' }).trim();
  } catch {
    return 'unknown';
  }
}

async function main(): Promise<void> {
  const machine = machineInfo();
  const sections: Array<[string, string]> = [];
  const section = (title: string, text: string) => {
    sections.push([title, text]);
    process.stdout.write(`${text}\n\n`);
  };
  section(
    'Overhead per model call against @openai/agents',
    formatReport(await benchOverhead({ iterations: iterationsFromEnv(process.env.BENCH_ITERATIONS) })),
  );
  section('Prompt tokens along a 200-turn thread', formatTokens(await benchTokens()));
  section('Throughput: 1,000 threads at once', formatThroughput(throughputInChild('sqlite-file', true)));
  section('Throughput without store I/O (diagnostic)', formatThroughput(throughputInChild('map', false)));
  section('Fan-out: two requests in one message', formatFanout(await benchFanout()));
  section('Help center at scale: 5,000 articles', formatKnowledgeScale(knowledgeScaleInChild()));
  section('Help-center retrieval quality', formatRetrieval(await benchRetrieval()));
  section('End to end through Slack: Switchboard against a minimal Bolt bot', await endToEnd());
  section('End to end through Discord: Switchboard against a minimal discord.js bot', await endToEndDiscord());
  section('Log redaction: what it adds to a line', benchLogRedaction());
  section('Intent routing: the eval set (used for tuning)', formatRoutingReport(await benchRouting()));
  const heldOut = await benchRouting({ file: HELD_OUT_SET_PATH, misroutesListed: 0 });
  section('Intent routing: the held-back set (never tuned on)', formatRoutingReport(withLeaksHidden(heldOut)));
  const header = [
    '# Benchmark results',
    '',
    `Written by \`npm run bench\` on ${new Date().toISOString()} at commit ${commit()}.`,
    `Machine: node ${machine.node}, ${machine.cpu}, ${machine.cores} cores, ${machine.memoryGB} GB, ${machine.platform}, load average ${machine.loadAverage1m.toFixed(2)} at start.`,
    'These machines are noisy: compare ratios measured in the same run, not absolute times across runs.',
  ];
  const body = sections.flatMap(([title, text]) => ['', `## ${title}`, '', '```', text, '```']);
  writeFileSync(RESULTS_FILE, `${[...header, ...body].join('\n')}\n`);
  process.stdout.write(`written to bench/RESULTS.md\n`);
}

runIfEntryPoint(import.meta.url, main);
