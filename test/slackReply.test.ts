import assert from 'node:assert/strict';
import { after, before, beforeEach, describe, test } from 'node:test';
import { WebClient } from '@slack/web-api';
import { SlackReply } from '../adapters/slack/replies.js';
import { FakeSlack } from './fakes/slackServer.js';
import { capturingLogger, TEST_REPLY_RETRY_DELAYS_MS } from './harness.js';
import { threadMessages } from './slackHarness.js';

const CHANNEL = 'C0REPLY0001';
const THREAD = '1700000000.000001';
/** Past the 256-character buffer, so the stream starts before the turn ends. */
const OPENING = `${'The order shipped on Monday and the carrier has it now. '.repeat(5)}\n\n`;
const TAIL = 'Anything else?';

/** One reply written through the real WebClient to the fake Slack: the calls it costs and the text the customer sees. */
describe('Slack reply writer', () => {
  let slack: FakeSlack;
  let client: WebClient;

  before(async () => {
    slack = await new FakeSlack().start();
    client = new WebClient('xoxb-test', { slackApiUrl: slack.apiUrl, retryConfig: { retries: 0 } });
  });
  beforeEach(() => slack.calls.splice(0));
  after(() => slack.close());

  /** A writer, and a promise that resolves once its stream has started (the opening sent, the writer idle again). */
  function reply(): { writer: SlackReply; started: Promise<void> } {
    let started!: () => void;
    const streaming = new Promise<void>((resolve) => (started = resolve));
    const writer = new SlackReply(
      client,
      { channel: CHANNEL, threadTs: THREAD, userTeam: 'T0TEAM0001', userId: 'U0CUSTOMER1' },
      {
        native: true,
        log: capturingLogger().log,
        onNativeRefused: () => undefined,
        onFirstMessage: () => started(),
        retryDelaysMs: TEST_REPLY_RETRY_DELAYS_MS,
      },
    );
    return { writer, started: streaming };
  }

  test('the text still unsent at the end rides on chat.stopStream: no appendStream for it', async () => {
    const { writer, started } = reply();
    writer.append('orders', OPENING);
    await started;
    writer.append('orders', TAIL);
    await writer.finish();
    assert.deepEqual(
      slack.calls.map((call) => call.method),
      ['chat.startStream', 'chat.stopStream'],
    );
    const stop = slack.callsTo('chat.stopStream')[0]!;
    assert.deepEqual(stop.args.chunks, [{ type: 'markdown_text', text: TAIL }]);
    assert.ok(Array.isArray(stop.args.blocks), 'the agent line is under the reply');
    const [message, ...more] = threadMessages(slack, CHANNEL, THREAD);
    assert.equal(more.length, 0);
    assert.equal(message!.text, `${OPENING}${TAIL}`);
  });

  test('text that arrives while the stream starts, with the reply finishing, rides on the stop too', async () => {
    // Slack is slow to start the stream (as under load): the rest of the answer comes and the turn ends meanwhile.
    const release = slack.holdNext('chat.startStream');
    const { writer, started } = reply();
    writer.append('orders', OPENING);
    await slack.waitForCall('chat.startStream');
    writer.append('orders', TAIL);
    const finished = writer.finish();
    release();
    await started;
    await finished;
    assert.deepEqual(
      slack.calls.map((call) => call.method),
      ['chat.startStream', 'chat.stopStream'],
    );
    assert.deepEqual(slack.callsTo('chat.stopStream')[0]!.args.chunks, [{ type: 'markdown_text', text: TAIL }]);
    const [message, ...more] = threadMessages(slack, CHANNEL, THREAD);
    assert.equal(more.length, 0);
    assert.equal(message!.text, `${OPENING}${TAIL}`);
  });

  test('when that stop fails, the tail is posted instead: nothing lost, nothing twice', async () => {
    slack.respondOnce('chat.stopStream', { body: { ok: false, error: 'message_not_in_streaming_state' } });
    const { writer, started } = reply();
    writer.append('orders', OPENING);
    await started;
    writer.append('orders', TAIL);
    await writer.finish();
    const posted = slack.callsTo('chat.postMessage');
    assert.equal(posted.length, 1);
    assert.equal(posted[0]!.args.text, TAIL);
  });
});
