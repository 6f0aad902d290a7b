/**
 * What the end-to-end benchmarks share: the fake model, how a subject is started as `npm start` starts it, and how
 * its processes' CPU and memory are read.
 */
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Percentiles } from './measure.js';

export const ROOT = fileURLToPath(new URL('..', import.meta.url));
/** The fake model streams the answer's first sentence FIRST_TOKEN_LEAD_MS before the rest, which ends the call. */
const ANSWER = ['Your order ORD-1001 is on its way. ', 'I can look up anything else about it for you.'];
export const FIRST_TOKEN_LEAD_MS = 100;
/** Each question carries its thread's number, so the fake model knows which thread a request is for. */
export const MARK = /\(ref (\d+)\)/;

/**
 * An OpenAI-compatible model that answers every request after `latencyMs`: text, or a passing review verdict. A
 * streamed answer's first sentence goes out FIRST_TOKEN_LEAD_MS earlier, and when is recorded per thread.
 */
export class FakeModel {
  calls = 0;
  /** Thread number → when its first token went out. */
  readonly firstToken = new Map<number, number>();
  private server: Server | undefined;

  constructor(private readonly latencyMs: number) {}

  async start(): Promise<string> {
    this.server = createServer((req, res) => this.handle(req, res));
    this.server.keepAliveTimeout = 60_000;
    await new Promise<void>((resolve) => this.server!.listen(0, '127.0.0.1', resolve));
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}/v1`;
  }

  close(): Promise<void> {
    this.server?.closeAllConnections();
    return new Promise((resolve) => (this.server ? this.server.close(() => resolve()) : resolve()));
  }

  private handle(req: IncomingMessage, res: ServerResponse): void {
    let raw = '';
    req.on('data', (chunk: Buffer) => (raw += chunk.toString('utf8')));
    req.on('end', () => {
      this.calls += 1;
      const body = JSON.parse(raw || '{}') as ModelBody;
      const pieces = body.response_format ? [JSON.stringify({ approved: true, issues: [], score: 1 })] : ANSWER;
      if (body.stream) setTimeout(() => this.stream(res, body, pieces), this.latencyMs - FIRST_TOKEN_LEAD_MS);
      else setTimeout(() => this.answer(res, body, pieces.join('')), this.latencyMs);
    });
  }

  private stream(res: ServerResponse, body: ModelBody, [first, ...rest]: string[]): void {
    const base = this.base(body);
    const chunk = (delta: unknown, finish: string | null) =>
      `data: ${JSON.stringify({ ...base, object: 'chat.completion.chunk', choices: [{ index: 0, delta, finish_reason: finish }] })}\n\n`;
    const asked = [...(body.messages ?? [])].reverse().find((m) => m.role === 'user')?.content;
    const thread = Number(MARK.exec(typeof asked === 'string' ? asked : '')?.[1] ?? -1);
    res.writeHead(200, { 'content-type': 'text/event-stream' });
    res.write(chunk({ role: 'assistant', content: first }, null));
    if (!this.firstToken.has(thread)) this.firstToken.set(thread, performance.now());
    const end = `data: ${JSON.stringify({ ...base, object: 'chat.completion.chunk', choices: [], usage: USAGE })}\n\ndata: [DONE]\n\n`;
    setTimeout(
      () => res.end(`${rest.map((content) => chunk({ content }, null)).join('')}${chunk({}, 'stop')}${end}`),
      FIRST_TOKEN_LEAD_MS,
    );
  }

  private answer(res: ServerResponse, body: ModelBody, content: string): void {
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(
      JSON.stringify({
        ...this.base(body),
        object: 'chat.completion',
        choices: [{ index: 0, message: { role: 'assistant', content }, finish_reason: 'stop' }],
        usage: USAGE,
      }),
    );
  }

  private base(body: ModelBody) {
    return { id: `chatcmpl-${this.calls}`, created: Math.floor(Date.now() / 1000), model: body.model ?? 'fake' };
  }
}

const USAGE = { prompt_tokens: 10, completion_tokens: 10, total_tokens: 20 };

interface ModelBody {
  stream?: boolean;
  response_format?: unknown;
  model?: string;
  messages?: Array<{ role: string; content?: unknown }>;
}

/** The subject's processes: the child, and its own children (the workers, with WORKERS). */
export function processTree(pid: number): number[] {
  const children = readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8').trim();
  return [pid, ...(children ? children.split(/\s+/).map(Number) : [])];
}

export function cpuSeconds(pids: number[]): number {
  let total = 0;
  for (const pid of pids) {
    const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
    total += (Number(fields[11]) + Number(fields[12])) / 100;
  }
  return total;
}

/** The sum of each process's own peak: an upper bound on the subject's peak when it has several. */
export function peakRssMB(pids: number[]): number {
  let total = 0;
  for (const pid of pids) {
    const line = readFileSync(`/proc/${pid}/status`, 'utf8')
      .split('\n')
      .find((l) => l.startsWith('VmHWM:'));
    total += Number(line?.match(/\d+/)?.[0] ?? 0) / 1024;
  }
  return total;
}

/** `npm start`'s command (`node <flags> scripts/start.mjs`), run with this node and without npm in between. */
function npmStartArgs(): string[] {
  const { scripts } = JSON.parse(readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as {
    scripts: { start: string };
  };
  const [node, ...args] = scripts.start.split(/\s+/);
  if (node !== 'node') throw new Error(`npm start runs ${node}, not node: the bench cannot start it the same way`);
  return args;
}

/**
 * A subject in its own process: Switchboard as `npm start` starts it, or a baseline script through tsx. Its stderr
 * is piped, for the report of a run that fails; E2E_NODE_ARGS adds node flags, e.g. `--cpu-prof`.
 */
export function startSubjectProcess(baselineScript: string | undefined, env: NodeJS.ProcessEnv): ChildProcess {
  const extra = (process.env.E2E_NODE_ARGS ?? '').split(' ').filter(Boolean);
  const args = baselineScript ? ['--import', 'tsx', path.join(ROOT, baselineScript)] : npmStartArgs();
  return spawn(process.execPath, [...extra, ...args], { cwd: ROOT, env, stdio: ['ignore', 'ignore', 'pipe'] });
}

/** A fraction as a percentage with one decimal, for the end-to-end tables. */
export const pct = (v: number) => `${(v * 100).toFixed(1)}%`;
/** A duration in ms, shown in seconds from one second up. */
export const ms = (v: number) => (v >= 1000 ? `${(v / 1000).toFixed(2)} s` : `${v.toFixed(0)} ms`);
/** A table cell: `p50 / p99`, or `missing` when nothing was measured. */
export const p50p99 = (p: Percentiles | undefined, missing = '–') => (p ? `${ms(p.p50)} / ${ms(p.p99)}` : missing);

/** `npm run build` unless the build is current, so `npm start` runs compiled JavaScript as in production. */
export async function buildForStart(): Promise<string> {
  const { buildIsCurrent } = (await import(path.join(ROOT, 'scripts/start.mjs'))) as { buildIsCurrent(): boolean };
  if (!buildIsCurrent()) execFileSync('npm', ['run', 'build', '--silent'], { cwd: ROOT, stdio: 'ignore' });
  return buildIsCurrent() ? 'the compiled build' : 'TypeScript through tsx (the build is not current)';
}
