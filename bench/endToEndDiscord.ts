/**
 * `npx tsx bench/endToEndDiscord.ts [--threads=N]`: the whole path a Discord user meets, as bench/endToEnd.ts measures
 * it for Slack. The bot runs as `npm start` runs it (a child process, discord.js on the gateway) against the fake
 * Discord in test/ and the shared fake model, which answers after a fixed latency; N customers mention the bot in a
 * guild channel at once, each asking about an order. The same load is then put on a minimal discord.js + `openai` bot
 * (bench/minimalDiscordBot.ts), in the same run, as the baseline.
 *
 * Efficiency: the ideal wall time (model calls per thread × latency) over the actual wall time until the last answer
 * is complete. CPU: the child's user + system time over the wall time. Discord's gateway has no envelope acks.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { z } from 'zod';
import { type DiscordCall, FakeDiscord, TEXT_CHANNEL_ID } from '../test/fakes/discordServer.js';
import type { EndToEndReport } from './endToEnd.js';
import {
  buildForStart,
  cpuSeconds,
  FakeModel,
  FIRST_TOKEN_LEAD_MS,
  p50p99,
  pct,
  peakRssMB,
  processTree,
  startSubjectProcess,
} from './endToEndParts.js';
import { runIfEntryPoint } from './entry.js';
import { percentiles } from './measure.js';

export const END_TO_END_DISCORD_THREADS = 1_000;
const LATENCY_MS = 300;
const QUESTION = 'where is my order ORD-1001?';
/** Nothing in the run may take longer than this; a subject that does is reported as failed, not waited on forever. */
const RUN_TIMEOUT_MS = 120_000;
/** From the child's start to its gateway session being ready (it may compile TypeScript first). */
const READY_TIMEOUT_MS = 30_000;
const POLL_MS = 10;
const STDERR_TAIL_CHARS = 2_000;
/** Beyond Switchboard's own 10 s shutdown deadline: a child still running then is killed, so the bench never hangs. */
const EXIT_DEADLINE_MS = 20_000;

export type DiscordSubject = 'switchboard' | 'baseline';
export const END_TO_END_DISCORD_SUBJECTS: readonly DiscordSubject[] = ['switchboard', 'baseline'];

export interface EndToEndDiscordReport
  extends Omit<
    EndToEndReport,
    'subject' | 'ack' | 'cpuMsPerThread' | 'rigCpuMsPerThread' | 'apiCallsPerThread' | 'warmUpThreads'
  > {
  subject: DiscordSubject;
  /** REST calls the subject made to Discord during the burst, per thread on average. */
  restCallsPerThread: number;
  /** The child's last stderr when some thread was never answered within RUN_TIMEOUT_MS. */
  failure: string | undefined;
}

/** The fields of a message body the bench relies on: what it says, and which message it replies to. */
const messageBody = z.object({
  content: z.string().optional(),
  message_reference: z.object({ message_id: z.string() }).optional(),
});
const MESSAGE_PATH = /^\/channels\/(\d+)\/messages(?:\/\d+)?$/;
/** Switchboard's final text ends with a quiet line naming the agent (see adapters/discord/replies.ts). */
const AGENT_LINE = /\n-# [^\n]*$/;

/**
 * The customer message whose answer a REST call shows words of, and whether they are the whole answer. The baseline
 * replies in the channel, referencing the question, in one post. Switchboard answers in a thread started from the
 * question (so the thread has the question's id): a post as soon as text arrives, edits, and a last write that adds
 * the agent line.
 */
export function answerIn(call: DiscordCall): { question: string; complete: boolean } | undefined {
  const channel = MESSAGE_PATH.exec(call.path)?.[1];
  if (!channel || (call.method !== 'POST' && call.method !== 'PATCH') || call.status !== 200) return undefined;
  const body = messageBody.safeParse(call.body);
  const content = body.success ? (body.data.content ?? '') : '';
  if (content.trim() === '') return undefined;
  if (channel !== TEXT_CHANNEL_ID) return { question: channel, complete: AGENT_LINE.test(content) };
  const reference = body.data?.message_reference?.message_id;
  return reference ? { question: reference, complete: true } : undefined;
}

/** A customer mentions the bot in the support channel; returns the question's message id. */
function mention(discord: FakeDiscord, text: string): string {
  return discord.userMessage({ channelId: TEXT_CHANNEL_ID, content: text, mentionsBot: true }).id;
}

/** One question answered before the burst, as a bot that has been running has: connections and code paths warm. */
async function warmUp(discord: FakeDiscord): Promise<void> {
  const question = mention(discord, QUESTION);
  const started = performance.now();
  const answers = (call: DiscordCall) => {
    const answer = answerIn(call);
    return answer?.question === question && answer.complete;
  };
  while (!discord.calls.some(answers)) {
    if (performance.now() - started > RUN_TIMEOUT_MS) throw new Error('the warm-up question was never answered');
    await new Promise((resolve) => setTimeout(resolve, POLL_MS));
  }
}

export async function benchEndToEndDiscord(
  subject: DiscordSubject,
  threads: number,
  latencyMs = LATENCY_MS,
): Promise<EndToEndDiscordReport> {
  const discord = await new FakeDiscord().start();
  const model = new FakeModel(latencyMs);
  const modelUrl = await model.start();
  const data = mkdtempSync(path.join(os.tmpdir(), 'switchboard-e2e-discord-'));
  const child = startSubjectProcess(subject === 'baseline' ? 'bench/minimalDiscordBot.ts' : undefined, {
    PATH: process.env.PATH,
    HOME: process.env.HOME,
    // Any non-empty string: the config takes the token as it is, and the fake checks only `Bot <token>`.
    DISCORD_BOT_TOKEN: 'bench-discord-token',
    DISCORD_API_URL: discord.apiUrl,
    OPENAI_BASE_URL: modelUrl,
    OPENAI_API_KEY: 'sk-bench',
    DATA_DIR: data,
    OPS_PORT: 'off',
  });
  let stderr = '';
  child.stderr?.on('data', (chunk: Buffer) => (stderr += chunk.toString('utf8')));
  const exited = new Promise((resolve) => child.once('exit', resolve));
  try {
    await discord.waitForReady(READY_TIMEOUT_MS);
    await warmUp(discord);
    model.calls = 0;
    // The warm-up's own first token must not stand in for the burst's.
    model.firstToken.clear();
    const pids = processTree(child.pid!);
    const cpuBefore = cpuSeconds(pids);
    const callsBefore = discord.calls.length;
    /** Question message id → its thread number and when it was sent. */
    const sent = new Map<string, { thread: number; at: number }>();
    const answered = new Map<string, number>();
    const firstWords = new Map<string, number>();
    const started = performance.now();
    for (let i = 0; i < threads; i++) {
      const at = performance.now();
      sent.set(mention(discord, `${QUESTION} (ref ${i})`), { thread: i, at });
    }
    let seen = callsBefore;
    while (answered.size < threads && performance.now() - started < RUN_TIMEOUT_MS) {
      await new Promise((resolve) => setTimeout(resolve, POLL_MS));
      for (; seen < discord.calls.length; seen++) {
        const call = discord.calls[seen]!;
        const answer = answerIn(call);
        if (!answer || !sent.has(answer.question)) continue;
        if (!firstWords.has(answer.question)) firstWords.set(answer.question, call.at);
        if (answer.complete && !answered.has(answer.question)) answered.set(answer.question, call.at);
      }
    }
    const complete = answered.size === threads;
    // All answered: the wall ends at the last answer's arrival, not at the poll that noticed it.
    const wallMs = complete ? Math.max(...answered.values()) - started : performance.now() - started;
    const cores = (cpuSeconds(pids) - cpuBefore) / ((performance.now() - started) / 1000);
    const callsPerThread = model.calls / threads;
    const since = (question: string, at: number) => at - sent.get(question)!.at;
    const tokenToWords = [...firstWords].flatMap(([question, at]) => {
      const token = model.firstToken.get(sent.get(question)!.thread);
      return token === undefined ? [] : [at - token];
    });
    return {
      subject,
      threads,
      latencyMs,
      modelCallsPerThread: callsPerThread,
      restCallsPerThread: (discord.calls.length - callsBefore) / threads,
      wallMs,
      efficiency: (callsPerThread * latencyMs) / wallMs,
      latency: percentiles([...answered].map(([question, at]) => since(question, at))),
      firstWords: percentiles([...firstWords].map(([question, at]) => since(question, at))),
      afterFirstToken: tokenToWords.length ? percentiles(tokenToWords) : undefined,
      peakRssMB: peakRssMB(pids),
      cores,
      answered: answered.size,
      failure: complete ? undefined : stderr.slice(-STDERR_TAIL_CHARS) || '(nothing on stderr)',
    };
  } catch (error) {
    throw new Error(
      `${subject} at ${threads} threads: ${(error as Error).message}\n${stderr.slice(-STDERR_TAIL_CHARS)}`,
    );
  } finally {
    child.kill('SIGTERM');
    const kill = setTimeout(() => child.kill('SIGKILL'), EXIT_DEADLINE_MS);
    await exited;
    clearTimeout(kill);
    await discord.close();
    await model.close();
    rmSync(data, { recursive: true, force: true });
  }
}

const HEADER = [
  'subject'.padEnd(13),
  'threads'.padStart(7),
  'answered'.padStart(11),
  'calls'.padStart(6),
  'REST'.padStart(6),
  'effic.'.padStart(8),
  'first words p50 / p99'.padStart(22),
  'token→words p50/p99'.padStart(20),
  'answer p50 / p99'.padStart(20),
  'peak RSS'.padStart(9),
  'cores'.padStart(6),
].join('');

function row(r: EndToEndDiscordReport): string {
  return [
    `${r.subject.padEnd(13)}${String(r.threads).padStart(7)}`,
    `${r.answered}/${r.threads}`.padStart(11),
    r.modelCallsPerThread.toFixed(2).padStart(6),
    r.restCallsPerThread.toFixed(2).padStart(6),
    pct(r.efficiency).padStart(8),
    p50p99(r.firstWords).padStart(22),
    p50p99(r.afterFirstToken, '(not streamed)').padStart(20),
    p50p99(r.latency).padStart(20),
    `${r.peakRssMB.toFixed(0)} MB`.padStart(9),
    r.cores.toFixed(2).padStart(6),
  ].join('');
}

export function formatEndToEndDiscord(reports: EndToEndDiscordReport[], started: string): string {
  const counts = [...new Set(reports.map((r) => r.threads))];
  const ratios = counts.flatMap((threads) => {
    const theirs = reports.find((r) => r.subject === 'baseline' && r.threads === threads);
    const ours = reports.find((r) => r.subject === 'switchboard' && r.threads === threads);
    return theirs && ours ? [`  ${threads} threads: ${(ours.efficiency / theirs.efficiency).toFixed(2)}`] : [];
  });
  const failures = reports.flatMap((r) =>
    r.failure === undefined
      ? []
      : [`${r.subject} at ${r.threads} threads: unanswered after timeout; stderr:`, r.failure],
  );
  return [
    `End to end through the Discord gateway: N customers mention the bot at once in a guild channel ("${QUESTION}"),`,
    `fake model ${LATENCY_MS} ms per call (a streamed answer's first sentence ${FIRST_TOKEN_LEAD_MS} ms earlier)`,
    `switchboard: \`npm start\` (scripts/start.mjs, running ${started}), default settings (SQLite), answering in a`,
    'thread it starts from the question; baseline: bench/minimalDiscordBot.ts, replying in the channel',
    `machine: ${os.cpus().length} cores; each subject in its own child process, one after the other; each answers one`,
    'question (a warm-up) before the burst is measured',
    '',
    HEADER,
    ...reports.map(row),
    '',
    'calls: model calls per thread; REST: Discord REST calls per thread in the burst (discord.js sends at most 50 a',
    'second by default)',
    "token→words: from the fake model's first streamed token to the first words reaching Discord",
    'efficiency ratio, switchboard ÷ baseline:',
    ...ratios,
    ...failures,
  ].join('\n');
}

/** `--threads=N` runs that thread count instead of 1,000. */
async function main(): Promise<void> {
  const only = process.argv.find((a) => a.startsWith('--threads='))?.split('=')[1];
  const threads = only ? Number(only) : END_TO_END_DISCORD_THREADS;
  if (!Number.isInteger(threads) || threads < 1) throw new Error(`--threads must be a positive integer, not ${only}`);
  const started = await buildForStart();
  const reports: EndToEndDiscordReport[] = [];
  for (const subject of END_TO_END_DISCORD_SUBJECTS) reports.push(await benchEndToEndDiscord(subject, threads));
  process.stdout.write(`${formatEndToEndDiscord(reports, started)}\n`);
}

runIfEntryPoint(import.meta.url, main);
