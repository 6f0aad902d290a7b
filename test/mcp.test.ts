import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { Registry } from 'prom-client';
import { DEMO_CUSTOMER } from '../agents/demoCustomer.js';
import { loadConfig } from '../src/config.js';
import { createLogger } from '../src/log.js';
import { mcpDetails, mcpFor } from '../src/mcp/configured.js';
import { startOpsServer } from '../src/ops/opsServer.js';
import { FakeShopMcp } from './fakes/mcpShopServer.js';
import { ConsoleSession, capturingLogger, suiteFakeOpenAI, tempDir, waitFor, writeConfigFile } from './harness.js';

const EVERYTHING = path.join(
  path.dirname(createRequire(import.meta.url).resolve('@modelcontextprotocol/server-everything/package.json')),
  'dist/index.js',
);

const folder = tempDir();
after(() => folder.remove());
const configFile = (name: string, yaml: string) => writeConfigFile(folder.dir, name, yaml);

/** The tool messages the model was sent in request `index`. */
function toolResults(fake: ReturnType<typeof suiteFakeOpenAI>, index: number): string[] {
  return fake.requests[index]!.body.messages.filter((m) => m.role === 'tool').map((m) => m.content ?? '');
}

/** Waits until the agent has the server's own tool (not the stand-in kept while the server is not up yet). */
async function toolsReady(chat: ConsoleSession, agent: string, tool: string): Promise<void> {
  await waitFor(
    () =>
      chat.app.agents
        .get(agent)
        ?.tools?.some((t) => t.name === tool && !t.description.includes('not available right now')),
    `${agent} has the server's ${tool}`,
  );
}

describe('MCP servers from switchboard.yaml', () => {
  const fake = suiteFakeOpenAI();
  const shop = new FakeShopMcp();
  before(() => shop.start());
  after(() => shop.close());

  test('stdio: server-everything’s tool reaches the model with its schema, and its result comes back', async () => {
    const file = configFile(
      'everything.yaml',
      `mcpServers:\n  everything:\n    command: ${process.execPath}\n    args: [${EVERYTHING}, stdio]\nagents:\n  technical_support:\n    mcp: [{ server: everything, tools: [echo] }]\n`,
    );
    const chat = ConsoleSession.openaiForTest(fake, { SWITCHBOARD_CONFIG: file });
    await toolsReady(chat, 'technical_support', 'echo');
    fake.script(
      { toolCalls: [{ name: 'transfer_to_technical_support' }] },
      { toolCalls: [{ name: 'echo', arguments: { message: 'hello from a customer' } }] },
      { text: 'The server says hello back.' },
    );
    chat.type('please echo something');
    await chat.end();
    const echo = fake.requests[1]!.body.tools!.find((t) => t.function.name === 'echo')!;
    assert.deepEqual(Object.keys((echo.function.parameters as { properties: object }).properties), ['message']);
    assert.match(toolResults(fake, 2).at(-1)!, /Echo: hello from a customer/);
    assert.match(chat.text, /The server says hello back\./);
  });

  test('Streamable HTTP: a call carries who is asking in _meta; a tool that throws answers the model with the error', async () => {
    const file = configFile(
      'shop.yaml',
      `mcpServers:\n  shop:\n    url: ${shop.url}\nagents:\n  orders:\n    mcp: [shop]\n`,
    );
    const chat = ConsoleSession.openaiForTest(fake, { SWITCHBOARD_CONFIG: file });
    await toolsReady(chat, 'orders', 'get_shipment');
    shop.calls.length = 0;
    fake.script(
      { toolCalls: [{ name: 'transfer_to_orders' }] },
      { toolCalls: [{ name: 'get_shipment', arguments: { tracking_number: 'TRK-55501' } }] },
      { text: 'It arrives on 9 December.' },
      { toolCalls: [{ name: 'stock_check', arguments: { sku: 'TENT-2' } }] },
      { text: "I can't check stock right now." },
    );
    chat.type('track TRK-55501');
    chat.type('is the tent in stock?');
    await chat.end();
    assert.match(toolResults(fake, 2).at(-1)!, /Shipment TRK-55501 is in transit and arrives on 2026-12-09\./);
    assert.deepEqual(shop.calls[0]!.meta?.['switchboard/requester'], {
      platform: 'console',
      userId: 'console-user',
      displayName: DEMO_CUSTOMER.name,
      verifiedEmail: DEMO_CUSTOMER.email,
    });
    assert.match(toolResults(fake, 4).at(-1)!, /^Error: .*the stock database is down/);
    assert.match(chat.text, /I can't check stock right now\./);
  });

  test('a destructive tool waits for a clear yes', async () => {
    const file = configFile(
      'shop.yaml',
      `mcpServers:\n  shop:\n    url: ${shop.url}\nagents:\n  orders:\n    mcp: [shop]\n`,
    );
    const chat = ConsoleSession.openaiForTest(fake, { SWITCHBOARD_CONFIG: file });
    await toolsReady(chat, 'orders', 'cancel_shipment');
    shop.calls.length = 0;
    fake.script(
      { toolCalls: [{ name: 'transfer_to_orders' }] },
      { toolCalls: [{ name: 'cancel_shipment', arguments: { tracking_number: 'TRK-55501' } }] },
      { text: 'Shipment TRK-55501 is cancelled.' },
    );
    chat.type('cancel shipment TRK-55501');
    chat.type('hmm, maybe?');
    await waitFor(
      () => /Please confirm: Cancel shipment \(tracking number "TRK-55501"\)\?/.test(chat.text),
      'the question',
    );
    assert.equal(shop.calls.length, 0, 'not run on a request or a maybe');
    chat.type('yes');
    await chat.end();
    assert.deepEqual(
      shop.calls.map((c) => [c.tool, c.args]),
      [['cancel_shipment', { tracking_number: 'TRK-55501' }]],
    );
  });

  test("a destructive tool's question survives a restart: the yes after it runs the tool once", async () => {
    const data = tempDir();
    const file = configFile(
      'shop.yaml',
      `mcpServers:\n  shop:\n    url: ${shop.url}\nagents:\n  orders:\n    mcp: [shop]\n`,
    );
    const env = { SWITCHBOARD_CONFIG: file, DATA_DIR: data.dir };
    let chat = ConsoleSession.openai(fake, env);
    try {
      await toolsReady(chat, 'orders', 'cancel_shipment');
      shop.calls.length = 0;
      fake.script(
        { toolCalls: [{ name: 'transfer_to_orders' }] },
        { toolCalls: [{ name: 'cancel_shipment', arguments: { tracking_number: 'TRK-70001' } }] },
      );
      chat.type('cancel shipment TRK-70001');
      await chat.end();
      await chat.close();
      chat = ConsoleSession.openai(fake, env);
      await toolsReady(chat, 'orders', 'cancel_shipment');
      fake.script({ text: 'Shipment TRK-70001 is cancelled.' });
      // A yes to a question asked before the restart gets the question again first; the next yes answers it.
      chat.type('yes');
      chat.type('yes');
      await chat.end();
      assert.deepEqual(
        shop.calls.map((c) => [c.tool, c.args]),
        [['cancel_shipment', { tracking_number: 'TRK-70001' }]],
      );
    } finally {
      await chat.close();
      data.remove();
    }
  });

  test('an HTTP server that goes away is retried, and its tools work again once it is back', async () => {
    const flaky = await new FakeShopMcp().start();
    const port = flaky.listeningPort;
    const { log, lines } = capturingLogger();
    const file = configFile(
      'flaky.yaml',
      `mcpServers:\n  flaky:\n    url: ${flaky.url}\nagents:\n  orders:\n    mcp: [flaky]\n`,
    );
    const chat = ConsoleSession.openai(fake, { SWITCHBOARD_CONFIG: file, DATA_DIR: folder.dir }, { log });
    try {
      await toolsReady(chat, 'orders', 'get_shipment');
      await flaky.close();
      fake.script(
        { toolCalls: [{ name: 'transfer_to_orders' }] },
        { toolCalls: [{ name: 'get_shipment', arguments: { tracking_number: 'TRK-55501' } }] },
        { text: 'The shop system is down right now.' },
      );
      const down = await chat.chat.send('track TRK-55501');
      assert.equal(down.reply, 'The shop system is down right now.');
      assert.match(toolResults(fake, 2).at(-1)!, /^Error: .*the flaky service is not available right now/);
      const failedAt = lines.findIndex((l) => l.msg === 'mcp.server_failed' && l.server === 'flaky');
      assert.ok(failedAt >= 0, 'logged, naming the server');

      await flaky.start(port);
      await waitFor(
        () => lines.slice(failedAt).some((l) => l.msg === 'mcp.server_ready' && l.server === 'flaky'),
        'the reconnection',
      );
      fake.script(
        { toolCalls: [{ name: 'get_shipment', arguments: { tracking_number: 'TRK-55501' } }] },
        { text: 'It arrives on 9 December.' },
      );
      await chat.chat.send('and now?');
      assert.match(toolResults(fake, 4).at(-1)!, /Shipment TRK-55501 is in transit/);
    } finally {
      await chat.close();
      await flaky.close();
    }
  });

  test('the config can turn approval off for a tool', async () => {
    const file = configFile(
      'shop.yaml',
      `mcpServers:\n  shop:\n    url: ${shop.url}\n    approval: { cancel_shipment: false }\nagents:\n  orders:\n    mcp: [shop]\n`,
    );
    const chat = ConsoleSession.openaiForTest(fake, { SWITCHBOARD_CONFIG: file });
    await toolsReady(chat, 'orders', 'cancel_shipment');
    assert.equal(
      chat.app.agents.get('orders')!.tools!.find((t) => t.name === 'cancel_shipment')!.mayNeedApproval,
      false,
    );
  });

  test('a server that will not start leaves the bot answering; its tools say it is unavailable', async () => {
    const { log, lines } = capturingLogger();
    const file = configFile(
      'broken.yaml',
      `mcpServers:\n  warehouse:\n    command: /nonexistent/warehouse-mcp\nagents:\n  orders:\n    mcp: [{ server: warehouse, tools: [stock_level] }]\n`,
    );
    const chat = ConsoleSession.openai(fake, { SWITCHBOARD_CONFIG: file, DATA_DIR: folder.dir }, { log });
    try {
      await waitFor(
        () => lines.find((l) => l.msg === 'mcp.server_failed' && l.server === 'warehouse'),
        'the failure log',
      );
      fake.script(
        { toolCalls: [{ name: 'transfer_to_orders' }] },
        { toolCalls: [{ name: 'stock_level', arguments: {} }] },
        { text: 'The warehouse system is down; I can still look up orders.' },
      );
      chat.type('how many tents are left?');
      await chat.end();
      assert.match(toolResults(fake, 2).at(-1)!, /^Error: .*the warehouse service is not available right now/);
      assert.match(chat.text, /I can still look up orders\./);
    } finally {
      await chat.close();
    }
  });

  test('the offline engine calls a clearly named server tool, filling its identifier from the message', async () => {
    const file = configFile(
      'shop.yaml',
      `mcpServers:\n  shop:\n    url: ${shop.url}\nagents:\n  orders:\n    mcp: [shop]\n`,
    );
    const chat = await ConsoleSession.offlineForTest({ SWITCHBOARD_CONFIG: file });
    shop.calls.length = 0;
    const answer = await chat.chat.send('track TRK-55501');
    assert.equal(answer.agent, 'Orders');
    assert.deepEqual(shop.calls[0] && [shop.calls[0].tool, shop.calls[0].args], [
      'get_shipment',
      { tracking_number: 'TRK-55501' },
    ]);
    assert.match(answer.reply, /Shipment TRK-55501 is in transit and arrives on 2026-12-09\./);
    const cancel = await chat.chat.send('cancel shipment TRK-55501');
    assert.match(cancel.reply, /Please confirm: Cancel shipment \(tracking number "TRK-55501"\)\?/);
    assert.equal(shop.calls.length, 1, 'asked, not run');
  });

  test('the offline engine learns a tool the server adds while the bot runs', async () => {
    const file = configFile(
      'shop.yaml',
      `mcpServers:\n  shop:\n    url: ${shop.url}\nagents:\n  orders:\n    mcp: [shop]\n`,
    );
    const chat = await ConsoleSession.offlineForTest({ SWITCHBOARD_CONFIG: file });
    await toolsReady(chat, 'orders', 'get_shipment');
    await chat.chat.send('where is my order ORD-1001?');
    shop.addTool('engrave_item', 'Engrave a personal message on an item of an order.');
    await toolsReady(chat, 'orders', 'engrave_item');
    shop.calls.length = 0;
    await chat.chat.send('please engrave a personal message on the item');
    assert.deepEqual(
      shop.calls.map((c) => c.tool),
      ['engrave_item'],
    );
  });

  test('/readyz shows each server, up or failed, without a failed one taking the bot out of rotation', async () => {
    const file = configFile(
      'ready.yaml',
      `mcpServers:\n  shop:\n    url: ${shop.url}\n  warehouse:\n    command: /nonexistent/warehouse-mcp\nagents:\n  orders:\n    mcp: [shop, warehouse]\n`,
    );
    const log = createLogger({ level: 'silent' });
    const config = loadConfig({ SWITCHBOARD_CONFIG: file });
    await mcpFor(config, log).ready;
    const ops = await startOpsServer({
      port: 0,
      host: '127.0.0.1',
      registry: new Registry(),
      checks: [],
      log,
      details: () => mcpDetails(config, log),
    });
    try {
      const response = await fetch(`http://127.0.0.1:${ops.port}/readyz`);
      assert.equal(response.status, 200);
      const body = (await response.json()) as {
        mcp: Record<string, { status: string; problem?: string; tools: number }>;
      };
      assert.equal(body.mcp.shop?.status, 'ready');
      assert.ok((body.mcp.shop?.tools ?? 0) >= 4, 'its tools listed');
      assert.equal(body.mcp.warehouse?.status, 'failed');
      assert.match(body.mcp.warehouse?.problem ?? '', /ENOENT|spawn/);
    } finally {
      await ops.close();
      await mcpFor(config, log).servers.close();
    }
  });

  test('a tool the server adds later reaches the agent when the server says its list changed', async () => {
    const file = configFile(
      'shop.yaml',
      `mcpServers:\n  shop:\n    url: ${shop.url}\nagents:\n  orders:\n    mcp: [shop]\n`,
    );
    const chat = ConsoleSession.openaiForTest(fake, { SWITCHBOARD_CONFIG: file });
    await toolsReady(chat, 'orders', 'get_shipment');
    assert.ok(!chat.app.agents.get('orders')!.tools!.some((t) => t.name === 'gift_wrap'));
    shop.addTool('gift_wrap', 'Add gift wrapping to an order.');
    await toolsReady(chat, 'orders', 'gift_wrap');
    fake.script({ toolCalls: [{ name: 'transfer_to_orders' }] }, { text: 'I can add gift wrapping.' });
    chat.type('can you gift wrap it?');
    await chat.end();
    assert.ok(
      fake.requests[1]!.body.tools!.some((t) => t.function.name === 'gift_wrap'),
      'offered to the model',
    );
  });

  test("a server tool named like the agent's own or a built-in one is prefixed with the server's name", async () => {
    const { log, lines } = capturingLogger();
    const server = `    command: ${process.execPath}\n    args: [${EVERYTHING}, stdio]\n`;
    const file = configFile(
      'clash.yaml',
      `mcpServers:\n  first:\n${server}  second:\n${server}agents:\n  technical_support:\n    mcp: [{ server: first, tools: [echo] }, { server: second, tools: [echo] }]\n`,
    );
    const chat = ConsoleSession.openai(fake, { SWITCHBOARD_CONFIG: file, DATA_DIR: folder.dir }, { log });
    try {
      await toolsReady(chat, 'technical_support', 'second_echo');
      await toolsReady(chat, 'technical_support', 'echo');
      assert.ok(lines.some((l) => l.msg === 'mcp.tool_renamed' && l.server === 'second' && l.as === 'second_echo'));
    } finally {
      // The stdio servers are child processes: a failed assertion must not leave them holding the test run open.
      await chat.close();
    }
  });

  test('a slow tool is cut off at the tool timeout and the model hears so', async () => {
    const file = configFile(
      'shop.yaml',
      `mcpServers:\n  shop:\n    url: ${shop.url}\nagents:\n  orders:\n    mcp: [shop]\n`,
    );
    const chat = ConsoleSession.openaiForTest(fake, { SWITCHBOARD_CONFIG: file, TOOL_TIMEOUT_MS: '300' });
    await toolsReady(chat, 'orders', 'slow_report');
    fake.script(
      { toolCalls: [{ name: 'transfer_to_orders' }] },
      { toolCalls: [{ name: 'slow_report', arguments: {} }] },
      { text: 'The report is taking too long.' },
    );
    chat.type('send me the sales report');
    await chat.end();
    assert.match(toolResults(fake, 2).at(-1)!, /^Error: slow_report did not finish within 300 ms/);
  });
});
