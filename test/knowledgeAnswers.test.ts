import assert from 'node:assert/strict';
import { cpSync, mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { after, describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { sourcesLine, toMrkdwn } from '../adapters/slack/format.js';
import { ConfigError, loadConfig } from '../src/config.js';
import { HelpCenter } from '../src/knowledge/helpCenter.js';
import { createLogger } from '../src/log.js';
import { createModel } from '../src/main.js';
import { OpenAIProvider } from '../src/model/openaiProvider.js';
import { sourcesUsed } from '../src/orchestrator/citations.js';
import { DiscordSession } from './discordHarness.js';
import { DM_CHANNEL_ID, FakeDiscord } from './fakes/discordServer.js';
import { BOT_USER_ID, FakeSlack } from './fakes/slackServer.js';
import { ConsoleSession, suiteFakeOpenAI, tempDir, waitFor } from './harness.js';
import { CHANNEL, SlackSession, threadMessages } from './slackHarness.js';

const NOTES_DIR = fileURLToPath(new URL('./fixtures/knowledge-notes/', import.meta.url));
const SHARE_URL = 'https://help.quillpad.example/articles/share-a-notebook';
const SHARE_TITLE = 'Share a notebook with your team';

describe('answers from a help center about another product, with sources (offline engine)', () => {
  test('a question the articles answer reaches an agent that searches, which quotes the best passage and cites it', async () => {
    const chat = await ConsoleSession.offlineForTest({ KNOWLEDGE_DIR: NOTES_DIR });
    const answer = await chat.chat.send('how do I stop sharing a notebook?');
    assert.notEqual(answer.agent, 'Triage', 'not declined or met with a clarifying question');
    assert.match(answer.reply, /^From our help article "Share a notebook with your team" \(Stop sharing a notebook\):/);
    assert.match(answer.reply, /Remove access/);
    assert.doesNotMatch(answer.reply, /Copy public link/, 'the best passage, not the whole article');
    assert.deepEqual(answer.sources, [{ title: SHARE_TITLE, url: SHARE_URL }]);

    const html = await chat.chat.send('there is a conflicted copy of my note, how do I merge it');
    assert.match(html.reply, /Version history/);
    assert.deepEqual(html.sources, [
      {
        title: 'Fixing sync conflicts & duplicate notes',
        url: 'https://help.quillpad.example/articles/sync-conflicts',
      },
    ]);
    // Nothing in the routing examples is about notes: without the help center this was "unclear" (a clarifying question).
    const merge = await ConsoleSession.offlineForTest({ KNOWLEDGE_DIR: NOTES_DIR });
    const merged = await merge.chat.send('merge duplicate notes');
    assert.equal(merged.agent, 'Technical Support');
    assert.equal(merged.sources?.[0]?.title, 'Fixing sync conflicts & duplicate notes');
    const text = await chat.chat.send('how do I export all my notes');
    assert.deepEqual(text.sources, [{ title: 'Export all your notes', url: undefined }], 'a text file: its title');
  });

  test('the terminal prints the sources as plain text under the answer; an unrelated question cites nothing', async () => {
    const chat = await ConsoleSession.offlineForTest({ KNOWLEDGE_DIR: NOTES_DIR });
    chat.type('how do I stop sharing a notebook?');
    chat.type('what is the weather in Paris?');
    await chat.end();
    assert.match(chat.text, new RegExp(`\\nSources: ${SHARE_TITLE} \\(${SHARE_URL.replace(/\./g, '\\.')}\\)\\n`));
    const weather = chat.text.slice(chat.text.indexOf('you> what is the weather'));
    // Off topic, so triage declines it: no search, no article, no sources.
    assert.match(weather, /\[Triage\] Sorry, I can't help with that here/);
    assert.equal(chat.text.match(/Sources:/g)?.length, 1);
  });

  test('a question no article answers gets "no article", not an unrelated one', async () => {
    const chat = await ConsoleSession.offlineForTest({ KNOWLEDGE_DIR: NOTES_DIR });
    await chat.chat.send('my notes app crashes when I share a notebook');
    const answer = await chat.chat.send('can I change the font size in the editor?');
    assert.match(answer.reply, /^I don't have a help article on that\./);
    assert.deepEqual(answer.sources ?? [], []);
  });
});

describe('answers from the help center, with sources (LLM)', () => {
  const fake = suiteFakeOpenAI();

  test('the model gets passages with their titles; its answer ends with the sources it used', async () => {
    const chat = ConsoleSession.openaiForTest(fake, { KNOWLEDGE_DIR: NOTES_DIR });
    fake.script(
      { toolCalls: [{ name: 'transfer_to_technical_support' }] },
      { toolCalls: [{ name: 'search_knowledge_base', arguments: { query: 'stop sharing a notebook' } }] },
      {
        text: 'Open **Share**, find the person in the list and choose **Remove access**: they lose access at once, on their phones too.',
      },
    );
    chat.type('how do I stop sharing a notebook?');
    await chat.end();
    const result = JSON.parse(fake.requests[2]!.body.messages.at(-1)!.content!) as {
      passages: Array<{ title: string; url?: string; heading?: string; text: string }>;
      note: string;
    };
    assert.ok(result.passages.length >= 1 && result.passages.length <= 3);
    assert.deepEqual(
      { title: result.passages[0]!.title, url: result.passages[0]!.url, heading: result.passages[0]!.heading },
      { title: SHARE_TITLE, url: SHARE_URL, heading: 'Stop sharing a notebook' },
    );
    assert.match(result.note, /listed as sources under your reply automatically/);
    assert.match(
      chat.text,
      /on their phones too\.\nSources: Share a notebook with your team \(https:\/\/help\.quillpad/,
    );
  });

  test('triage may search before it declines, and hands a question the help center answers to its agent', async () => {
    const chat = ConsoleSession.openaiForTest(fake, { KNOWLEDGE_DIR: NOTES_DIR });
    fake.script(
      { toolCalls: [{ name: 'search_knowledge_base', arguments: { query: 'stop sharing a notebook' } }] },
      { toolCalls: [{ name: 'transfer_to_technical_support' }] },
      { toolCalls: [{ name: 'search_knowledge_base', arguments: { query: 'stop sharing a notebook' } }] },
      { text: 'Open Share, find the person and choose Remove access.' },
    );
    chat.type('how do I stop sharing a notebook?');
    await chat.end();
    const [first, second] = fake.requests;
    assert.ok(first!.body.tools?.some((t) => t.function.name === 'search_knowledge_base'));
    assert.match(
      first!.body.messages[0]!.content!,
      /Before you decline a message as off topic or ask a clarifying question, search the help center/,
    );
    const found = JSON.parse(second!.body.messages.at(-1)!.content!) as { passages: Array<{ title: string }> };
    assert.equal(found.passages[0]?.title, SHARE_TITLE);
    assert.match(chat.text, /Triage → Technical Support[\s\S]*Remove access\.\nSources: Share a notebook/);
  });

  test('nothing relevant: the tool says so, and no source is listed', async () => {
    const chat = ConsoleSession.openaiForTest(fake, { KNOWLEDGE_DIR: NOTES_DIR });
    fake.script(
      { toolCalls: [{ name: 'transfer_to_technical_support' }] },
      { toolCalls: [{ name: 'search_knowledge_base', arguments: { query: 'editor font size' } }] },
      { text: "I don't have a help article on changing the font size." },
    );
    chat.type('can I change the font size?');
    await chat.end();
    const result = JSON.parse(fake.requests[2]!.body.messages.at(-1)!.content!) as {
      passages: unknown[];
      message: string;
    };
    assert.deepEqual(result.passages, []);
    assert.match(result.message, /No help article answers this/);
    assert.doesNotMatch(chat.text, /Sources:/);
  });
});

describe('sources on Slack and Discord', () => {
  const openai = suiteFakeOpenAI();
  const scriptAnswer = () =>
    openai.script(
      { toolCalls: [{ name: 'transfer_to_technical_support' }] },
      { toolCalls: [{ name: 'search_knowledge_base', arguments: { query: 'stop sharing a notebook' } }] },
      { text: 'Open Share, find the person and choose Remove access; they lose access at once.' },
    );

  test('Slack renders them as links: markdown when streamed (Slack renders it), mrkdwn when posted', async () => {
    const slack = await new FakeSlack().start();
    const data = tempDir();
    const session = await SlackSession.start(slack, openai, { dataDir: data.dir, env: { KNOWLEDGE_DIR: NOTES_DIR } });
    try {
      scriptAnswer();
      const ts = await session.mention(`<@${BOT_USER_ID}> how do I stop sharing a notebook?`);
      await session.idle();
      const [reply] = threadMessages(slack, CHANNEL, ts);
      assert.equal(reply?.via, 'stream', 'markdown_text, which Slack renders itself');
      assert.ok(reply?.text.includes(`**Sources:** [${SHARE_TITLE}](${SHARE_URL})`), reply?.text);
      // Posted rather than streamed (where Slack refuses streaming), the same line goes out as mrkdwn.
      assert.equal(
        toMrkdwn(sourcesLine([{ title: SHARE_TITLE, url: SHARE_URL }])).replace(/\u200b/g, ''),
        `*Sources:* <${SHARE_URL}|${SHARE_TITLE}>`,
      );
    } finally {
      await session.stop();
      await slack.close();
      data.remove();
    }
  });

  test('Discord renders them as markdown links that do not unfurl', async () => {
    const discord = new FakeDiscord();
    await discord.start();
    const data = tempDir();
    const session = await DiscordSession.start(discord, openai, {
      dataDir: data.dir,
      env: { KNOWLEDGE_DIR: NOTES_DIR },
    });
    try {
      await discord.waitForReady();
      scriptAnswer();
      discord.userMessage({ channelId: DM_CHANNEL_ID, content: 'how do I stop sharing a notebook?' });
      const reply = await waitFor(
        () => discord.messagesIn(DM_CHANNEL_ID).find((m) => m.content.includes('Sources:')),
        'the answer with its sources',
      );
      assert.ok(reply.content.includes(`-# Sources: [${SHARE_TITLE}](<${SHARE_URL}>)`), reply.content);
      await session.idle();
    } finally {
      await session.stop();
      await discord.close();
      data.remove();
    }
  });
});

describe('citing what an answer used', () => {
  const share = {
    title: 'Share',
    url: 'https://x.example/share',
    text: 'Open Share and choose Remove access for the person.',
  };
  const sync = {
    title: 'Sync',
    url: 'https://x.example/sync',
    text: 'Wait for the sync icon to turn green before closing.',
  };
  test('of the passages found, only those the answer draws on are cited, once per article', () => {
    assert.deepEqual(sourcesUsed('Open Share, then choose Remove access next to the person.', [share, sync]), [
      { title: 'Share', url: 'https://x.example/share' },
    ]);
    assert.deepEqual(sourcesUsed('Open Share and choose Remove access.', [share, { ...share, text: share.text }]), [
      { title: 'Share', url: 'https://x.example/share' },
    ]);
    assert.deepEqual(sourcesUsed("I don't have an article on that.", [share, sync]), []);
  });
});

describe('hybrid search with embeddings', () => {
  const fake = suiteFakeOpenAI();
  const folder = tempDir();
  after(() => folder.remove());
  mkdirSync(path.join(folder.dir, 'articles'));
  cpSync(path.join(NOTES_DIR, 'sharing'), path.join(folder.dir, 'articles/sharing'), { recursive: true });
  writeFileSync(
    path.join(folder.dir, 'articles/invoices.md'),
    '---\ntitle: Invoices and receipts\n---\nEvery invoice is emailed to the account owner. Download past invoices as PDF under Settings → Plan → Invoices.\n',
  );
  const helpCenter = (cacheFile = path.join(folder.dir, 'cache/embeddings.jsonl')) => {
    const provider = new OpenAIProvider({ baseURL: fake.baseURL, apiKey: 'sk-test', maxRetries: 0, timeoutMs: 5_000 });
    return new HelpCenter({
      dir: path.join(folder.dir, 'articles'),
      log: createLogger({ level: 'silent' }),
      embeddings: {
        model: 'test-embed',
        embed: (texts) => provider.embed('test-embed', texts),
        cacheFile,
        minSimilarity: 0.2,
      },
    });
  };

  test('finds by meaning what keyword search misses, and a restart embeds nothing again', async () => {
    const keywordOnly = new HelpCenter({
      dir: path.join(folder.dir, 'articles'),
      log: createLogger({ level: 'silent' }),
    });
    assert.deepEqual(await keywordOnly.search('where is my bill'), [], 'no article says "bill"');

    const first = helpCenter();
    await first.ready;
    const embedded = fake.embeddingRequests.flatMap((r) => r.input);
    assert.equal(embedded.length, first.size.passages, 'every passage embedded once');
    assert.ok(fake.embeddingRequests.every((r) => r.model === 'test-embed'));
    assert.equal((await first.search('where is my bill'))[0]?.title, 'Invoices and receipts');

    fake.embeddingRequests.length = 0;
    const restarted = helpCenter();
    await restarted.ready;
    assert.equal(fake.embeddingRequests.length, 0, 'the cache, keyed by content, served every passage');
    assert.equal((await restarted.search('where is my bill'))[0]?.title, 'Invoices and receipts');
    assert.deepEqual(
      fake.embeddingRequests.map((r) => r.input),
      [['where is my bill']],
      'only the question',
    );
  });

  test('an embeddings endpoint that fails leaves keyword search working', async () => {
    fake.embeddingsStatus = 500;
    const failing = helpCenter(path.join(folder.dir, 'cache/other.jsonl'));
    await failing.ready;
    assert.ok(fake.embeddingRequests.length > 0, 'it was asked');
    assert.equal((await failing.search('how do I stop sharing a notebook'))[0]?.title, SHARE_TITLE);
  });
});

describe('one Support agent for a team with a help center and nothing else (KNOWLEDGE_AGENT=support)', () => {
  test('it answers from the help center with sources, greets, and says when no article answers', async () => {
    const chat = await ConsoleSession.offlineForTest({ KNOWLEDGE_DIR: NOTES_DIR, KNOWLEDGE_AGENT: 'support' });
    assert.deepEqual(
      chat.app.agents.all().map((a) => a.id),
      ['support'],
    );
    const hello = await chat.chat.send('hi');
    assert.match(hello.reply, /Support: Questions about the product, answered from our help center\./);
    const answer = await chat.chat.send('how do I stop sharing a notebook?');
    assert.equal(answer.agent, 'Support');
    assert.match(answer.reply, /Remove access/);
    assert.deepEqual(answer.sources, [{ title: SHARE_TITLE, url: SHARE_URL }]);
    const font = await chat.chat.send('can I change the font size in the editor?');
    assert.match(font.reply, /^I don't have a help article on that\./);
    assert.deepEqual(font.sources ?? [], []);
  });

  test('an agent triage cannot hand to is a configuration error', async () => {
    const config = loadConfig({ MODEL_PROVIDER: 'offline', KNOWLEDGE_DIR: NOTES_DIR, KNOWLEDGE_AGENT: 'shipping' });
    await assert.rejects(createModel(config, createLogger({ level: 'silent' })), (err: unknown) => {
      assert.ok(err instanceof ConfigError);
      assert.match(
        err.message,
        /KNOWLEDGE_AGENT: "shipping" is not an agent triage can hand to \(known: orders, technical_support, billing, support\)/,
      );
      return true;
    });
  });
});
