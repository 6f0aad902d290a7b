import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { BOT_USER_ID, FakeSlack } from './fakes/slackServer.js';
import { suiteFakeOpenAI, tempDir, waitFor } from './harness.js';
import { CHANNEL, SlackSession, threadMessages } from './slackHarness.js';

/** First words fast: Slack shows the start of a streamed answer while the model is still writing the rest. */
describe('Slack streaming', () => {
  let slack: FakeSlack;
  const openai = suiteFakeOpenAI();
  let data: ReturnType<typeof tempDir>;
  let session: SlackSession;

  before(async () => {
    slack = await new FakeSlack().start();
    data = tempDir();
    session = await SlackSession.start(slack, openai, { dataDir: data.dir });
  });
  after(async () => {
    await session.stop();
    await slack.close();
    data.remove();
  });

  test('once a stream has worked, the first words start the next at once; the rest follows in the same message', async () => {
    openai.script({ text: 'Hi! How can I help?' });
    const warmUp = await session.mention(`<@${BOT_USER_ID}> hello`);
    await waitFor(() => threadMessages(slack, CHANNEL, warmUp)[0]?.blocks, 'the first reply');
    await session.idle();
    let release!: () => void;
    const gate = new Promise<void>((resolve) => (release = resolve));
    const text = 'Hello there. Here is a much longer rest of the answer that the model writes afterwards.';
    openai.script({ text, chunkChars: 13, gate });
    const ts = await session.mention(`<@${BOT_USER_ID}> hi`);
    const started = await waitFor(() => slack.callsTo('chat.startStream')[1], 'the stream started');
    assert.deepEqual(started.args.chunks, [{ type: 'markdown_text', text: 'Hello there. ' }]);
    assert.equal(slack.callsTo('chat.stopStream').length, 1, 'the model has not finished the second reply');
    release();
    await waitFor(() => threadMessages(slack, CHANNEL, ts)[0]?.blocks, 'the finished reply');
    await session.idle();
    const [reply, ...more] = threadMessages(slack, CHANNEL, ts);
    assert.equal(more.length, 0, 'one message');
    assert.equal(reply!.text, text);
  });
});
