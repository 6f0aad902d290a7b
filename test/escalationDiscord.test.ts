import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { BOT_BACK_REPLY } from '../src/escalation/desk.js';
import { ESCALATED_REPLY } from '../src/escalation/escalationTool.js';
import { STAFF_ONLY_REPLY } from '../src/escalation/staffCommands.js';
import { visibleText } from './discordHarness.js';
import {
  type BenchOptions,
  cardPost,
  cardTs,
  EscalationBench,
  postsIn,
  STAFF_CHANNEL,
  STAFF_NAME,
  scriptEscalation,
} from './escalationHarness.js';
import {
  CUSTOMER_ID as DISCORD_CUSTOMER,
  FakeDiscord,
  GUILD_ID,
  STAFF_CHANNEL_ID,
  STAFF_ROLE_ID,
  STAFF_USER_ID,
  TEXT_CHANNEL_ID,
} from './fakes/discordServer.js';
import { FakeSlack } from './fakes/slackServer.js';
import { FakeOpenAI, tempDir, waitFor } from './harness.js';

/** Fakes for both platforms and one bot running both adapters, for a describe block; `staff` picks the staff channel. */
function withDiscordBench(staff: Pick<BenchOptions, 'staffChannel' | 'env'> = {}) {
  const ctx = {} as {
    slack: FakeSlack;
    discord: FakeDiscord;
    openai: FakeOpenAI;
    data: ReturnType<typeof tempDir>;
    bench: EscalationBench;
  };
  before(async () => {
    ctx.openai = await new FakeOpenAI().start();
    ctx.slack = await new FakeSlack().start();
    ctx.discord = await new FakeDiscord().start();
    ctx.data = tempDir();
    ctx.bench = await EscalationBench.start({
      slack: ctx.slack,
      discord: ctx.discord,
      openai: ctx.openai,
      dataDir: ctx.data.dir,
      ...staff,
    });
    await ctx.discord.waitForReady();
  });
  after(async () => {
    // A before hook that failed part-way leaves some unset; closing those must not hide its error.
    await ctx.bench?.stop();
    await ctx.discord?.close();
    await ctx.slack?.close();
    await ctx.openai?.close();
    ctx.data?.remove();
  });
  return ctx;
}

/** A customer's mention in the support channel; resolves with the id of the thread the bot opens for it. */
async function discordCustomerAsks(discord: FakeDiscord, content: string): Promise<string> {
  const asked = discord.userMessage({ channelId: TEXT_CHANNEL_ID, content, mentionsBot: true });
  return (await waitFor(() => discord.threads().find((t) => t.startedFrom === asked.id), 'the customer thread')).id;
}

describe('escalation: Discord customer, Slack staff', () => {
  const ctx = withDiscordBench();

  test('a Discord thread escalates to the Slack staff channel, relays both ways, and comes back on resolve', async () => {
    const { slack, discord, openai, bench } = ctx;
    scriptEscalation(openai, 'urgent');
    const customerThread = await discordCustomerAsks(discord, 'I was charged twice, I want a person');
    await bench.idle();
    await waitFor(() => cardPost(slack), 'the card in the Slack staff channel');
    const card = JSON.stringify(cardPost(slack)!.args.blocks);
    assert.match(card, /on Discord/);
    assert.ok(
      card.includes(`https://discord.com/channels/${GUILD_ID}/${customerThread}`),
      'links to the Discord thread',
    );
    assert.match(card, /urgent/);
    assert.equal(visibleText(discord.messagesIn(customerThread).at(-1)!.content), ESCALATED_REPLY);

    discord.userMessage({ channelId: customerThread, content: 'the second charge is 129.00' });
    await waitFor(() => postsIn(slack, STAFF_CHANNEL, cardTs(slack)).length === 1, 'the relay to Slack');
    assert.match(postsIn(slack, STAFF_CHANNEL, cardTs(slack))[0]!, /: the second charge is 129\.00$/);

    await bench.staffSays(cardTs(slack), 'Refunding the duplicate charge now.');
    await waitFor(
      () => discord.messagesIn(customerThread).some((m) => m.content.includes('Refunding the duplicate charge')),
      'the relay to Discord',
    );
    assert.equal(
      discord.messagesIn(customerThread).at(-1)!.content,
      `**${STAFF_NAME}** (support team)\nRefunding the duplicate charge now.`,
    );

    const escalationId = (await bench.state(`discord:${GUILD_ID}:${customerThread}`)).escalation!.id;
    await bench.pressCard(cardTs(slack), escalationId, 'resolve');
    await waitFor(
      () => discord.messagesIn(customerThread).some((m) => m.content === BOT_BACK_REPLY),
      'the bot-is-back message on Discord',
    );
    assert.equal((await bench.state(`discord:${GUILD_ID}:${customerThread}`)).escalation, null);
    assert.equal(
      discord.messagesIn(customerThread).filter((m) => m.content.includes('Refunding')).length,
      1,
      'relayed once',
    );
  });
});

describe('escalation: Discord staff channel and the staff role', () => {
  const ctx = withDiscordBench({
    staffChannel: `discord:${STAFF_CHANNEL_ID}`,
    env: { DISCORD_STAFF_ROLE_ID: STAFF_ROLE_ID },
  });

  test('only holders of the staff role can claim, resolve or be relayed; the card and the customer follow', async () => {
    const { discord, openai, bench } = ctx;
    scriptEscalation(openai, 'normal');
    const customerThread = await discordCustomerAsks(discord, 'let me speak to a human');
    await waitFor(() => discord.threads().some((t) => t.parentId === STAFF_CHANNEL_ID), 'the escalation thread');
    const staffThread = discord.threads().find((t) => t.parentId === STAFF_CHANNEL_ID)!;
    const card = () => discord.messagesIn(STAFF_CHANNEL_ID).find((m) => m.id === staffThread.startedFrom)!;
    assert.ok(
      card().content.includes(
        `**Customer:** [Casey Customer](https://discord.com/channels/${GUILD_ID}/${customerThread}) on Discord`,
      ),
      card().content,
    );
    const escalationId = (await bench.state(`discord:${GUILD_ID}:${customerThread}`)).escalation!.id;

    discord.pressButton({
      channelId: STAFF_CHANNEL_ID,
      messageId: card().id,
      customId: `switchboard:escalation:claim:${escalationId}`,
      userId: DISCORD_CUSTOMER,
    });
    await waitFor(
      () =>
        discord.calls.some(
          (c) =>
            c.method === 'POST' && /^\/webhooks\//.test(c.path) && JSON.stringify(c.body).includes(STAFF_ONLY_REPLY),
        ),
      'the refusal',
    );
    assert.equal((await bench.state(`discord:${GUILD_ID}:${customerThread}`)).escalation?.claimedBy, null);

    discord.userMessage({
      channelId: staffThread.id,
      content: 'I am not staff but I write here',
      authorId: DISCORD_CUSTOMER,
    });
    discord.userMessage({ channelId: staffThread.id, content: 'Hello, I am taking a look.', authorId: STAFF_USER_ID });
    await waitFor(
      () => discord.messagesIn(customerThread).some((m) => m.content.includes('Hello, I am taking a look.')),
      'the staff relay',
    );
    await bench.idle();
    assert.ok(
      !discord.messagesIn(customerThread).some((m) => m.content.includes('I am not staff')),
      'a non-staff message is not relayed',
    );
    await waitFor(() => /Claimed by/.test(card().content), 'the card shows the claim');

    discord.pressButton({
      channelId: STAFF_CHANNEL_ID,
      messageId: card().id,
      customId: `switchboard:escalation:resolve:${escalationId}`,
      userId: STAFF_USER_ID,
    });
    await waitFor(
      () => discord.messagesIn(customerThread).some((m) => m.content === BOT_BACK_REPLY),
      'the bot is back',
    );
    await waitFor(() => /Resolved by/.test(card().content), 'the card shows the resolve');
    assert.deepEqual(card().components, []);
  });
});
