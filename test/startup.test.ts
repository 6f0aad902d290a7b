import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Writable } from 'node:stream';
import { describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { ConfigError, loadConfig } from '../src/config.js';
import { secretsOf } from '../src/configChoices.js';
import { createLogger } from '../src/log.js';
import { suiteFakeOpenAI, tempDir } from './harness.js';

const ROOT = fileURLToPath(new URL('..', import.meta.url));

interface RunResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs a command in the repository with a clean environment and piped stdin; resolves when it exits. */
function runInRepo(command: string, args: string[], env: Record<string, string> = {}, stdin = ''): Promise<RunResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, {
      cwd: ROOT,
      env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '/tmp', ...env },
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (c: Buffer) => (stdout += c.toString()));
    child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
    child.stdin.end(stdin);
  });
}

/** Runs the bot as `npm start` does (without npm in between): the build when it is current, else through tsx. */
function startBot(env: Record<string, string>, stdin: string): Promise<RunResult> {
  return runInRepo(process.execPath, ['scripts/start.mjs'], env, stdin);
}

describe("the Docker image's start command", () => {
  test('npm run build, then node dist/src/main.js with piped input: each reply is printed and it exits cleanly', async () => {
    const built = await runInRepo('npm', ['run', 'build']);
    assert.equal(built.code, 0, built.stderr || built.stdout);
    const data = tempDir();
    try {
      // As the image runs it (its CMD), with no keys: the offline engine and the demo data.
      const result = await runInRepo(
        process.execPath,
        ['--max-semi-space-size=8', 'dist/src/main.js'],
        { DATA_DIR: data.dir },
        'hi\nwhere is my order ORD-1001?\n',
      );
      assert.equal(result.code, 0, result.stderr);
      assert.match(result.stdout, /you> hi\n\[Triage\] Hi! I'm the support assistant/);
      assert.match(
        result.stdout,
        /you> where is my order ORD-1001\?\n {2}↪ Triage → Orders\n {2}· lookup_order \{"order_id":"ORD-1001"\}\n\[Orders\] Order ORD-1001 has shipped with UPS/,
      );
    } finally {
      data.remove();
    }
  });
});

describe('configuration', () => {
  test('every bad variable is listed in one error', () => {
    try {
      loadConfig({
        OPENAI_BASE_URL: 'not a url',
        MAX_HANDOFFS_PER_TURN: 'zero',
        STORE_URL: 'mongodb://x',
        MODEL_PROVIDER: 'magic',
      });
      assert.fail('expected a ConfigError');
    } catch (err) {
      assert.ok(err instanceof ConfigError);
      const names = err.problems.map((p) => p.split(':')[0]);
      assert.deepEqual(names.sort(), ['MAX_HANDOFFS_PER_TURN', 'MODEL_PROVIDER', 'OPENAI_BASE_URL', 'STORE_URL']);
    }
  });

  test('per-agent models come from OPENAI_MODEL_<AGENT>', () => {
    const config = loadConfig({ OPENAI_API_KEY: 'k', OPENAI_MODEL: 'big-model', OPENAI_MODEL_TRIAGE: 'small-model' });
    assert.equal(config.model.defaultModel, 'big-model');
    assert.deepEqual(config.model.agentModels, { triage: 'small-model' });
    assert.equal(config.model.provider, 'openai');
  });

  test('bad config exits with code 2 and no stack trace', async () => {
    const result = await startBot({ OPENAI_BASE_URL: 'nope', MAX_MODEL_CALLS_PER_TURN: '-1' }, '');
    assert.equal(result.code, 2);
    assert.match(result.stderr, /Invalid configuration:\n {2}- OPENAI_BASE_URL: .*\n {2}- MAX_MODEL_CALLS_PER_TURN: /);
    assert.doesNotMatch(result.stderr, /\n\s+at /);
  });
});

describe('npm start with piped input', () => {
  const fake = suiteFakeOpenAI();

  test('prints each reply, with the agent, and exits cleanly at end of input', async () => {
    const data = tempDir();
    fake.script(
      { text: 'Hi! I can help with orders, technical problems and billing.' },
      { toolCalls: [{ name: 'transfer_to_orders' }] },
      { toolCalls: [{ name: 'lookup_order', arguments: { order_id: 'ORD-1001' } }] },
      { text: 'ORD-1001 shipped with UPS and should arrive on 2026-11-24.' },
    );
    const result = await startBot(
      { OPENAI_BASE_URL: fake.baseURL, OPENAI_MAX_RETRIES: '0', DATA_DIR: data.dir },
      'hi\nwhere is my order ORD-1001?\n',
    );
    assert.equal(result.code, 0, result.stderr);
    assert.match(result.stdout, /^Switchboard: model gpt-4o-mini via http:\/\/127\.0\.0\.1:\d+\/v1/);
    assert.match(result.stdout, /you> hi\n\[Triage\] Hi! I can help with orders, technical problems and billing\.\n/);
    assert.match(
      result.stdout,
      /you> where is my order ORD-1001\?\n {2}↪ Triage → Orders\n {2}· lookup_order \{"order_id":"ORD-1001"\}\n\[Orders\] ORD-1001 shipped with UPS/,
    );
    assert.equal(fake.requests[0]?.headers.authorization, 'Bearer not-needed', 'a local server needs no key');
    data.remove();
  });

  test('/quit ends the chat: the lines piped after it are not answered', async () => {
    const data = tempDir();
    const result = await startBot({ DATA_DIR: data.dir }, 'hi\n/quit\nwhere is my order ORD-1001?\n');
    assert.equal(result.code, 0, result.stderr);
    assert.match(result.stdout, /you> hi\n\[Triage\] /);
    assert.doesNotMatch(result.stdout, /ORD-1001/);
    data.remove();
  });
});

describe('logging', () => {
  test('secret fields are redacted, and the configured secrets wherever they appear', () => {
    let out = '';
    const sink = new Writable({
      write(chunk: Buffer, _enc, done) {
        out += chunk.toString();
        done();
      },
    });
    const config = loadConfig({
      OPENAI_API_KEY: 'sk-live-configured-2',
      SLACK_BOT_TOKEN: 'xoxb-configured-3',
      SLACK_APP_TOKEN: 'xapp-configured-5',
    });
    const log = createLogger({ level: 'info', destination: sink, secrets: secretsOf(config) });
    log.info(
      {
        apiKey: 'sk-live-1',
        config: { model: { apiKey: 'sk-live-configured-2' }, platforms: { slack: { note: 'xoxb-configured-3' } } },
        headers: { authorization: 'Bearer sk-live-4' },
        err: { message: 'socket closed for xapp-configured-5', headers: { authorization: 'Bearer sk-live-6' } },
      },
      'config.loaded',
    );
    log.warn('a "quoted" xoxb-configured-3 in a message');
    for (const secret of ['sk-live-1', 'sk-live-configured-2', 'xoxb-configured-3', 'sk-live-4', 'xapp', 'sk-live-6'])
      assert.ok(!out.includes(secret), `${secret} leaked: ${out}`);
    assert.match(out, /"msg":"config.loaded"/);
    assert.match(out, /"msg":"a \\"quoted\\" \[redacted\] in a message"/);
    assert.equal(out.match(/\[redacted\]/g)?.length, 7);
  });
});

describe('npm start with Slack tokens', () => {
  test('serves /slack/events, answers a DM with the offline engine, never logs the tokens, and stops on SIGTERM', async () => {
    const { FakeSlack } = await import('./fakes/slackServer.js');
    const { eventEnvelope, deliverEvent } = await import('./fakes/slackDelivery.js');
    const { threadMessages } = await import('./slackHarness.js');
    const { waitFor } = await import('./harness.js');
    const slack = await new FakeSlack().start();
    // The app has users:read.email: the customer's verified address is on ORD-1001, so it is shown without asking.
    slack.emails.set('U0CUSTOMER1', 'maya.chen@example.com');
    const data = tempDir();
    const child = spawn(process.execPath, ['--import', 'tsx', 'src/main.ts'], {
      cwd: ROOT,
      env: {
        PATH: process.env.PATH ?? '',
        HOME: process.env.HOME ?? '/tmp',
        SLACK_BOT_TOKEN: 'xoxb-secret-bot-token',
        SLACK_SIGNING_SECRET: 'secret-signing-value',
        SLACK_API_URL: slack.apiUrl,
        SLACK_PORT: '0',
        OPS_PORT: '0',
        DATA_DIR: data.dir,
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    child.stdout.on('data', (c: Buffer) => (stdout += c.toString()));
    const exited = new Promise<number | null>((resolve) => child.on('close', resolve));
    try {
      const started = await waitFor(
        () => stdout.split('\n').find((line) => line.includes('"slack.started"')),
        'the slack.started log line',
        30_000,
      );
      const port = (JSON.parse(started) as { port: number }).port;
      const ts = '1710000000.000100';
      const event = {
        type: 'message',
        channel: 'D0DIRECT001',
        channel_type: 'im',
        user: 'U0CUSTOMER1',
        text: 'where is my order ORD-1001?',
        ts,
        event_ts: ts,
      };
      const delivered = await deliverEvent(`http://127.0.0.1:${port}/slack/events`, eventEnvelope(event), {
        signingSecret: 'secret-signing-value',
      });
      assert.equal(delivered.status, 200);
      const reply = await waitFor(
        () => threadMessages(slack, 'D0DIRECT001', ts).find((m) => m.blocks),
        'the reply in Slack',
        20_000,
      );
      assert.match(reply.text, /ORD-1001/);
      assert.match(reply.text, /UPS/);

      // Ops endpoints on their own port.
      const line = await waitFor(
        () => stdout.split('\n').find((l) => l.includes('"switchboard.started"')),
        'the switchboard.started line',
      );
      const ops = `http://127.0.0.1:${(JSON.parse(line) as { ops: number }).ops}`;
      assert.equal(await (await fetch(`${ops}/healthz`)).text(), 'ok');
      const ready = await fetch(`${ops}/readyz`);
      assert.equal(ready.status, 200);
      assert.deepEqual(await ready.json(), { ready: true, checks: { store: true, slack: true } });
      const metrics = await (await fetch(`${ops}/metrics`)).text();
      assert.match(metrics, /^switchboard_turns_total\{status="answered"\} 1$/m);
      assert.match(metrics, /^switchboard_turn_duration_seconds_count\{status="answered"\} 1$/m);
      assert.match(metrics, /^switchboard_tool_calls_total\{agent="orders",tool="lookup_order"\} 1$/m);
      assert.match(metrics, /^switchboard_model_calls_total\{agent="orders",model="gpt-4o-mini"\} \d+$/m);
      assert.match(metrics, /^switchboard_handoffs_total\{from="triage",to="orders"\} 1$/m);
      assert.match(metrics, /^switchboard_inbox_depth 0$/m);
      assert.match(metrics, /^switchboard_dedupe_hits_total 0$/m);
      // A redelivery is counted as a dedupe hit, not answered again.
      await deliverEvent(`http://127.0.0.1:${port}/slack/events`, eventEnvelope(event), {
        signingSecret: 'secret-signing-value',
        retryNum: 1,
      });
      await waitFor(
        async () => /^switchboard_dedupe_hits_total 1$/m.test(await (await fetch(`${ops}/metrics`)).text()),
        'the dedupe hit in /metrics',
      );
      child.kill('SIGTERM');
      assert.equal(await exited, 0);
      assert.doesNotMatch(stdout, /xoxb-secret-bot-token|secret-signing-value/);
      assert.match(stdout, /"turn.end"/, 'pino JSON logs on stdout');
    } finally {
      child.kill('SIGKILL');
      await slack.close();
      data.remove();
    }
  });
});

describe('npm start with a Discord token', () => {
  test('logs in over the gateway, answers a DM with the offline engine, never logs the token, and stops on SIGTERM; an ops port in use is logged, not fatal', async () => {
    const { FakeDiscord, DM_CHANNEL_ID } = await import('./fakes/discordServer.js');
    const { waitFor } = await import('./harness.js');
    const discord = await new FakeDiscord().start();
    const data = tempDir();
    // Something else (Prometheus, another bot) already listens on the ops port.
    const taken = createServer();
    await new Promise<void>((resolve) => taken.listen(0, '0.0.0.0', resolve));
    const takenPort = (taken.address() as AddressInfo).port;
    const child = spawn(process.execPath, ['--import', 'tsx', 'src/main.ts'], {
      cwd: ROOT,
      env: {
        PATH: process.env.PATH ?? '',
        HOME: process.env.HOME ?? '/tmp',
        DISCORD_BOT_TOKEN: 'secret-discord-token',
        DISCORD_API_URL: discord.apiUrl,
        OPS_PORT: String(takenPort),
        DATA_DIR: data.dir,
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    child.stdout.on('data', (c: Buffer) => (stdout += c.toString()));
    const exited = new Promise<number | null>((resolve) => child.on('close', resolve));
    try {
      await waitFor(() => stdout.includes('"discord.started"'), 'the discord.started log line', 30_000);
      const started = await waitFor(
        () => stdout.split('\n').find((line) => line.includes('"switchboard.started"')),
        'the switchboard.started line',
      );
      assert.equal((JSON.parse(started) as { ops: unknown }).ops, 'off');
      const refused = stdout.split('\n').find((line) => line.includes('"ops.listen_failed"'));
      assert.ok(refused, 'a log line says why the ops endpoints are off');
      assert.match(refused, new RegExp(`EADDRINUSE on port ${takenPort}.*set OPS_PORT`));
      await discord.waitForReady();
      discord.userMessage({ channelId: DM_CHANNEL_ID, content: 'where is my order ORD-1001?' });
      const reply = await waitFor(
        () => discord.messagesIn(DM_CHANNEL_ID).find((m) => m.content.includes('\n-# ')),
        'the reply in Discord',
        20_000,
      );
      assert.match(reply.content, /ORD-1001/);
      child.kill('SIGTERM');
      assert.equal(await exited, 0);
      assert.doesNotMatch(stdout, /secret-discord-token/);
    } finally {
      child.kill('SIGKILL');
      await discord.close();
      taken.close();
      data.remove();
    }
  });
});
