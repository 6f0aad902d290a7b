import { type ChildProcess, spawn } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { FakeOpenAI } from './fakes/openaiServer.js';
import { deliverEvent, eventEnvelope } from './fakes/slackDelivery.js';
import type { FakeSlack } from './fakes/slackServer.js';
import { waitFor } from './harness.js';
import { SIGNING_SECRET } from './slackHarness.js';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

/** The bot as `npm start` runs it with Slack tokens (node directly, as the Dockerfile does), in its own process. */
export class ChildReplica {
  stdout = '';
  readonly exited: Promise<number | null>;
  eventsUrl = '';

  private constructor(readonly child: ChildProcess) {
    child.stdout!.on('data', (chunk: Buffer) => (this.stdout += chunk.toString()));
    child.stderr!.on('data', (chunk: Buffer) => (this.stdout += chunk.toString()));
    this.exited = new Promise((resolve) => child.on('close', resolve));
  }

  static async start(slack: FakeSlack, openai: FakeOpenAI, env: Record<string, string>): Promise<ChildReplica> {
    const child = spawn(process.execPath, ['--import', 'tsx', 'src/main.ts'], {
      cwd: ROOT,
      env: {
        PATH: process.env.PATH ?? '',
        HOME: process.env.HOME ?? '/tmp',
        OPENAI_BASE_URL: openai.baseURL,
        OPENAI_API_KEY: 'sk-test-key',
        OPENAI_MAX_RETRIES: '0',
        REVIEWED_AGENTS: 'none',
        SLACK_BOT_TOKEN: 'xoxb-test-token',
        SLACK_SIGNING_SECRET: SIGNING_SECRET,
        SLACK_API_URL: slack.apiUrl,
        SLACK_PORT: '0',
        OPS_PORT: 'off',
        ...env,
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const replica = new ChildReplica(child);
    try {
      const started = await waitFor(() => replica.logs('slack.started')[0], 'the child replica to start', 30_000);
      replica.eventsUrl = `http://127.0.0.1:${started.port as number}/slack/events`;
      await waitFor(() => replica.logs('switchboard.started')[0], 'the child replica to be ready', 30_000);
    } catch (err) {
      // Not returned, so no test can stop it: a child left running would keep the test run from ending.
      child.kill('SIGKILL');
      await replica.exited;
      throw err;
    }
    return replica;
  }

  /** Log lines (pino JSON on stdout) with this message. */
  logs(msg: string): Array<Record<string, unknown>> {
    return this.stdout
      .split('\n')
      .filter((line) => line.includes(`"msg":"${msg}"`))
      .map((line) => JSON.parse(line) as Record<string, unknown>);
  }

  async deliver(event: Record<string, unknown>): Promise<number> {
    return (await deliverEvent(this.eventsUrl, eventEnvelope(event), { signingSecret: SIGNING_SECRET })).status;
  }

  kill(signal: NodeJS.Signals): void {
    if (this.child.exitCode === null && this.child.signalCode === null) this.child.kill(signal);
  }
}
