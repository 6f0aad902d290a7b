import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { FakeShopMcp } from './fakes/mcpShopServer.js';
import { blockActionsPayload } from './fakes/slackDelivery.js';
import { BOT_USER_ID, FakeSlack } from './fakes/slackServer.js';
import { suiteFakeOpenAI, tempDir, waitFor, writeConfigFile } from './harness.js';
import { askForApproval, buttonValue, CHANNEL, CUSTOMER, SlackSession, threadMessages } from './slackHarness.js';

const folder = tempDir();
after(() => folder.remove());
const configFile = (name: string, yaml: string) => writeConfigFile(folder.dir, name, yaml);

describe('a destructive MCP tool on Slack', () => {
  const openai = suiteFakeOpenAI();
  const shop = new FakeShopMcp();
  before(() => shop.start());
  after(() => shop.close());

  test('is asked with Confirm and Cancel buttons, and runs when the requester presses Confirm', async () => {
    const slack = await new FakeSlack().start();
    const data = tempDir();
    const file = configFile(
      'slack-shop.yaml',
      `mcpServers:\n  shop:\n    url: ${shop.url}\nagents:\n  orders:\n    mcp: [shop]\n`,
    );
    const session = await SlackSession.start(slack, openai, { dataDir: data.dir, env: { SWITCHBOARD_CONFIG: file } });
    try {
      await waitFor(
        () => session.app.agents.get('orders')?.tools?.some((t) => t.name === 'cancel_shipment'),
        "the shop's tools",
      );
      const { ts, question } = await askForApproval(
        session,
        slack,
        openai,
        { name: 'cancel_shipment', arguments: { tracking_number: 'TRK-80001' } },
        `<@${BOT_USER_ID}> cancel shipment TRK-80001`,
      );
      assert.match(question.text, /Please confirm: Cancel shipment \(tracking number "TRK-80001"\)\?/);
      assert.equal(shop.calls.filter((c) => c.tool === 'cancel_shipment').length, 0, 'not run before the press');

      openai.script({ text: 'Shipment TRK-80001 is cancelled.' });
      const press = blockActionsPayload({
        userId: CUSTOMER,
        channel: CHANNEL,
        messageTs: question.ts,
        threadTs: ts,
        actionId: 'switchboard_approval_confirm',
        value: buttonValue(question),
      });
      (press.message as Record<string, unknown>).blocks = question.blocks;
      assert.equal(await session.press(press), 200);
      await waitFor(
        () => threadMessages(slack, CHANNEL, ts).find((m) => m.text.includes('TRK-80001 is cancelled')),
        'the reply after the press',
      );
      await session.idle();
      assert.deepEqual(
        shop.calls.filter((c) => c.tool === 'cancel_shipment').map((c) => c.args),
        [{ tracking_number: 'TRK-80001' }],
      );
    } finally {
      await session.stop();
      await slack.close();
      data.remove();
    }
  });
});
