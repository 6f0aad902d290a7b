import assert from 'node:assert/strict';
import { type ChildProcess, spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { ConfigError, loadConfig } from '../src/config.js';
import { eventEnvelope } from './fakes/slackDelivery.js';
import { BOT_USER_ID, FakeSlack, TEAM_ID } from './fakes/slackServer.js';
import { REDIS_URL, suiteFakeOpenAI, tempDir, waitFor } from './harness.js';
import { threadMessages } from './slackHarness.js';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const CHANNEL = 'C0WORKERS01';
const CUSTOMER = 'U0WORKERS01';
const ANSWER = 'Happy to help with that.';
const START_MS = 60_000;

/** `npm start` with WORKERS set: the primary and its workers, and the primary's log lines. */
class Bot {
  out = '';
  readonly exited: Promise<number | null>;

  constructor(readonly child: ChildProcess) {
    child.stdout!.on('data', (chunk: Buffer) => (this.out += chunk.toString()));
    child.stderr!.on('data', (chunk: Buffer) => (this.out += chunk.toString()));
    this.exited = new Promise((resolve) => child.on('close', resolve));
  }

  static start(env: Record<string, string>): Bot {
    const child = spawn(process.execPath, ['scripts/start.mjs'], {
      cwd: ROOT,
      env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '/tmp', ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    return new Bot(child);
  }

  logs(msg: string): Array<Record<string, unknown>> {
    return this.out
      .split('\n')
      .filter((line) => line.includes(`"msg":"${msg}"`))
      .map((line) => JSON.parse(line) as Record<string, unknown>);
  }

  /** The pids of the primary's children: its workers. */
  workers(): number[] {
    const file = `/proc/${this.child.pid}/task/${this.child.pid}/children`;
    if (!existsSync(file)) return [];
    const children = readFileSync(file, 'utf8');
    return children.trim().split(/\s+/).filter(Boolean).map(Number);
  }
}

const alive = (pid: number) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

describe('WORKERS: several bot processes share one Slack app', () => {
  const openai = suiteFakeOpenAI();
  let slack: FakeSlack;
  let data: ReturnType<typeof tempDir>;
  let bot: Bot;
  let ops = 0;
  let thread = 0;

  before(async () => {
    slack = await new FakeSlack({ spread: true }).start();
    data = tempDir();
  });
  after(async () => {
    const leftovers = bot ? bot.workers() : [];
    bot?.child.kill('SIGKILL');
    for (const pid of leftovers) process.kill(pid, 'SIGKILL');
    await slack.close();
    data.remove();
  });

  /** A customer opens a thread by mentioning the bot; resolves with the thread's ts once the envelope is acked. */
  async function mention(): Promise<string> {
    const ts = `1730000000.${String(++thread).padStart(6, '0')}`;
    const event = {
      type: 'app_mention',
      channel: CHANNEL,
      user: CUSTOMER,
      text: `<@${BOT_USER_ID}> my app crashes`,
      ts,
    };
    await slack.sendEnvelope('events_api', eventEnvelope({ ...event, event_ts: ts, team: TEAM_ID }));
    return ts;
  }

  const answered = (ts: string) => threadMessages(slack, CHANNEL, ts).filter((m) => m.text.includes(ANSWER));

  test('two workers each hold a connection; every thread is answered once, whichever worker got it', async () => {
    openai.respondWith(() => ({ text: ANSWER }));
    bot = Bot.start({
      WORKERS: '2',
      STORE_URL: REDIS_URL,
      STORE_NAMESPACE: `workers-${randomUUID()}`,
      SLACK_BOT_TOKEN: 'xoxb-test-token',
      SLACK_APP_TOKEN: 'xapp-test-token',
      SLACK_API_URL: slack.apiUrl,
      OPENAI_BASE_URL: openai.baseURL,
      OPENAI_API_KEY: 'sk-test-key',
      OPENAI_MAX_RETRIES: '0',
      OPS_PORT: '0',
      DATA_DIR: data.dir,
    });
    ops = (await waitFor(() => bot.logs('workers.supervising')[0], 'the primary', START_MS)).ops as number;
    await waitFor(() => bot.logs('workers.started')[0], 'both workers', START_MS);
    await slack.waitForSockets(2, START_MS);

    const threads = await Promise.all(Array.from({ length: 6 }, () => mention()));
    for (const ts of threads) await waitFor(() => answered(ts)[0], `an answer in ${ts}`, 30_000);
    for (const ts of threads) assert.equal(answered(ts).length, 1, `one answer in ${ts}`);
    const connections = new Set(slack.acks.map((ack) => ack.connection));
    assert.deepEqual([...connections].sort(), [1, 2], 'both connections acked events');
    const workers = new Set(bot.logs('turn.end').map((line) => line.worker));
    assert.deepEqual([...workers].sort(), [1, 2], 'both workers ran turns');

    const ready = await fetch(`http://127.0.0.1:${ops}/readyz`);
    assert.equal(ready.status, 200);
    assert.deepEqual(await ready.json(), { ready: true, checks: { workers: true }, workers: { 1: true, 2: true } });
    const metrics = await (await fetch(`http://127.0.0.1:${ops}/metrics`)).text();
    const turns = [...metrics.matchAll(/^switchboard_turns_total\{[^}]*\} (\d+)/gm)].reduce(
      (n, m) => n + Number(m[1]),
      0,
    );
    assert.equal(turns, 6, 'the primary sums both workers’ turns');
  });

  test('a worker that dies is replaced and the bot keeps answering; Ctrl-C winds every worker down once', async () => {
    assert.ok(bot, 'the bot of the previous test');
    openai.respondWith(() => ({ text: ANSWER }));
    const [first, second] = bot.workers();
    process.kill(first!, 'SIGKILL');
    const exited = await waitFor(() => bot.logs('worker.exited')[0], 'the primary to see the worker die');
    assert.equal(exited.signal, 'SIGKILL');
    await waitFor(() => bot.workers().length === 2 && !bot.workers().includes(first!), 'a new worker', START_MS);
    await waitFor(() => bot.logs('switchboard.started').length === 3, 'the new worker to start', START_MS);
    await slack.waitForSockets(2, START_MS);
    const threads = await Promise.all(Array.from({ length: 4 }, () => mention()));
    for (const ts of threads) await waitFor(() => answered(ts)[0], `an answer in ${ts}`, 30_000);

    const workers = bot.workers();
    assert.ok(workers.includes(second!));
    // Ctrl-C in a terminal: SIGINT reaches every process of the group, then the primary passes SIGTERM on.
    for (const pid of workers) process.kill(pid, 'SIGINT');
    bot.child.kill('SIGINT');
    assert.equal(await bot.exited, 0);
    for (const pid of workers) await waitFor(() => !alive(pid), `worker ${pid} to exit`);
    assert.equal(bot.logs('shutdown.done').length, 2, 'each worker wound down');
  });

  test('a worker that cannot start stops the primary, with the reason', async () => {
    const failing = Bot.start({
      WORKERS: '2',
      STORE_URL: REDIS_URL,
      SLACK_BOT_TOKEN: 'xoxb-test-token',
      SLACK_APP_TOKEN: 'xapp-test-token',
      SLACK_API_URL: slack.apiUrl,
      OPENAI_BASE_URL: openai.baseURL,
      OPENAI_API_KEY: 'sk-test-key',
      OPS_PORT: 'off',
      DATA_DIR: data.dir,
      KNOWLEDGE_DIR: path.join(data.dir, 'no-such-folder'),
    });
    assert.equal(await failing.exited, 2);
    assert.match(failing.out, /KNOWLEDGE_DIR: cannot read/);
    assert.ok(failing.logs('worker.start_failed')[0], failing.out);
  });
});

describe('WORKERS settings', () => {
  test('more than one needs the Redis store and Slack, and says why', () => {
    assert.throws(
      () => loadConfig({ WORKERS: '2' }),
      (err: unknown) =>
        err instanceof ConfigError &&
        /WORKERS: 2 workers need a shared store: set STORE_URL=redis/.test(err.message) &&
        /WORKERS: workers share Slack's connections: set SLACK_BOT_TOKEN/.test(err.message),
    );
    assert.throws(() => loadConfig({ WORKERS: '0' }), /WORKERS: must be a whole number from 1 to 10, or auto/);
    assert.throws(() => loadConfig({ WORKERS: 'two' }), /WORKERS: must be a whole number/);
  });

  test('auto is one per core; 1 (the default) needs nothing more', () => {
    const env = { STORE_URL: REDIS_URL, SLACK_BOT_TOKEN: 'xoxb-x', SLACK_APP_TOKEN: 'xapp-x' };
    assert.equal(loadConfig({ ...env, WORKERS: 'auto' }).workers, Math.min(os.availableParallelism(), 10));
    assert.equal(loadConfig({}).workers, 1);
  });
});
