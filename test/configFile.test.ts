import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { after, describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { createAgentRegistry } from '../agents/registry.js';
import { ConfigError, loadConfig } from '../src/config.js';
import { ConsoleSession, suiteFakeOpenAI, tempDir, writeConfigFile } from './harness.js';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const NOTES_DIR = fileURLToPath(new URL('./fixtures/knowledge-notes/', import.meta.url));

const folder = tempDir();
after(() => folder.remove());
const configFile = (name: string, yaml: string) => writeConfigFile(folder.dir, name, yaml);

const TEAM_CONFIG = `
agents:
  orders:
    instructions: You are the Orders desk of Quillpad. Use lookup_order for order questions.
    removeTools: [cancel_order]
  billing:
    remove: true
  returns:
    name: Returns
    description: Return labels and the status of returns.
    instructions: You are the Returns specialist. If the topic changes, transfer_to_triage.
    tools: [lookup_order, search_knowledge_base]
    examples: [I need a return label, where is my return, how do I send this back]
knowledge:
  dir: \${NOTES}
escalation:
  remindAfter: 5m
`;

function problemsOf(run: () => unknown): string[] {
  try {
    run();
  } catch (err) {
    if (err instanceof ConfigError) return err.problems;
    throw err;
  }
  assert.fail('expected a ConfigError');
}

describe('switchboard.yaml', () => {
  test('without a file the bot is the shipped pack; switchboard.yaml in the working directory is read', () => {
    const empty = tempDir();
    try {
      const config = loadConfig({}, { cwd: empty.dir });
      assert.deepEqual(config.agents.settings, {});
      writeFileSync(path.join(empty.dir, 'switchboard.yaml'), 'escalation:\n  remindAfter: 90s\n');
      assert.equal(loadConfig({}, { cwd: empty.dir }).escalation.remindAfterMs, 90_000);
    } finally {
      empty.remove();
    }
  });

  test('settings stand in for their variables, $VAR placeholders are read from the environment, and a variable wins', () => {
    const file = configFile('team.yaml', TEAM_CONFIG);
    const config = loadConfig({ SWITCHBOARD_CONFIG: file, NOTES: NOTES_DIR });
    assert.equal(config.knowledge.dir, NOTES_DIR);
    assert.equal(config.escalation.remindAfterMs, 5 * 60_000);
    const overridden = loadConfig({ SWITCHBOARD_CONFIG: file, NOTES: NOTES_DIR, KNOWLEDGE_DIR: '/elsewhere' });
    assert.equal(overridden.knowledge.dir, '/elsewhere');
  });

  test('agents are changed, removed and added; triage routes to the agents there are', async () => {
    const file = configFile('team.yaml', TEAM_CONFIG);
    const chat = await ConsoleSession.offlineForTest({ SWITCHBOARD_CONFIG: file, NOTES: NOTES_DIR });
    const agents = chat.app.agents;
    assert.deepEqual(
      agents.all().map((a) => a.id),
      ['triage', 'orders', 'technical_support', 'returns'],
    );
    assert.deepEqual(
      agents.get('orders')!.tools!.map((t) => t.name),
      ['lookup_order', 'search_knowledge_base'],
    );
    assert.match(agents.get('orders')!.instructions, /^You are the Orders desk of Quillpad/);
    assert.deepEqual(agents.get('triage')!.handoffs, ['orders', 'technical_support', 'returns']);
    assert.deepEqual(agents.get('triage')!.delegates, ['orders', 'technical_support', 'returns']);
    assert.match(agents.get('triage')!.instructions, /Return labels and the status of returns → transfer_to_returns;/);
    assert.doesNotMatch(agents.get('triage')!.instructions, /transfer_to_billing/);
    assert.deepEqual(agents.get('returns')!.handoffs, ['triage']);

    const reply = await chat.chat.send('I need a return label');
    assert.equal(reply.agent, 'Returns', 'the new agent trains the router');
    const cancel = await chat.chat.send('please cancel order ORD-1002');
    assert.doesNotMatch(cancel.reply, /Cancel order ORD-1002\?/, 'Orders can no longer cancel');
  });

  const fake = suiteFakeOpenAI();
  test("with an LLM, an agent's prompt and tools are the file's", async () => {
    const file = configFile('team.yaml', TEAM_CONFIG);
    const chat = ConsoleSession.openaiForTest(fake, { SWITCHBOARD_CONFIG: file, NOTES: NOTES_DIR });
    fake.script({ toolCalls: [{ name: 'transfer_to_orders' }] }, { text: 'Which order is it?' });
    chat.type('where is my parcel');
    await chat.end();
    const orders = fake.requests[1]!.body;
    assert.match(orders.messages[0]!.content!, /You are the Orders desk of Quillpad/);
    const names = (orders.tools ?? []).map((t) => t.function.name);
    assert.ok(names.includes('lookup_order') && !names.includes('cancel_order'), names.join(', '));
    const triageTools = (fake.requests[0]!.body.tools ?? []).map((t) => t.function.name);
    assert.ok(triageTools.includes('transfer_to_returns') && !triageTools.includes('transfer_to_billing'));
  });

  test('an agent naming a server the file does not have is a problem at that place', () => {
    const file = configFile(
      'shoop.yaml',
      'mcpServers:\n  shop:\n    url: http://127.0.0.1:1/mcp\nagents:\n  orders:\n    mcp: [shoop]\n',
    );
    assert.deepEqual(
      problemsOf(() => loadConfig({ SWITCHBOARD_CONFIG: file })),
      [`${file}: agents.orders.mcp[0]: unknown server "shoop" (mcpServers has: shop)`],
    );
  });

  test('every problem is listed at once, each naming the file and the place in it', () => {
    const schema = configFile(
      'bad.yaml',
      // biome-ignore lint/suspicious/noTemplateCurlyInString: the file's own ${VAR} syntax, not a template.
      'agents:\n  billing:\n    review: maybe\nknowledge:\n  minRelevance: 2\n  dir: ${NO_SUCH_VAR}\ncolour: blue\n',
    );
    assert.deepEqual(problemsOf(() => loadConfig({ SWITCHBOARD_CONFIG: schema })).sort(), [
      `${schema}: (top): Unrecognized key: "colour"`,
      `${schema}: agents.billing.review: Invalid input: expected boolean, received string`,
      `${schema}: knowledge.dir: \${NO_SUCH_VAR} is not set in the environment`,
      `${schema}: knowledge.minRelevance: Too big: expected number to be <=1`,
    ]);
    const pack = configFile(
      'pack.yaml',
      'agents:\n  orders:\n    removeTools: [cancel_ordr]\n    handoffs: [triage, shipping]\n  triage:\n    remove: true\n  returns:\n    tools: [make_label]\n',
    );
    const config = loadConfig({ SWITCHBOARD_CONFIG: pack });
    const problems = problemsOf(() => createAgentRegistry(undefined, undefined, config.agents));
    assert.deepEqual(problems, [
      `${pack}: agents.triage.remove: the agent every conversation starts with cannot be removed`,
      `${pack}: agents.orders.removeTools[0]: orders has no tool "cancel_ordr"`,
      `${pack}: agents.returns.name: required for a new agent`,
      `${pack}: agents.returns.description: required for a new agent`,
      `${pack}: agents.returns.instructions: required for a new agent`,
      `${pack}: agents.returns.tools[0]: unknown tool "make_label" (known: search_knowledge_base, lookup_order, cancel_order, create_bug_report, lookup_invoice, request_refund)`,
      `${pack}: agents.orders.handoffs[1]: unknown agent "shipping" (known: triage, orders, technical_support, billing, returns)`,
    ]);
  });

  test('a bad file stops start-up with exit code 2, listing the settings and the agent changes together', async () => {
    const file = configFile(
      'start.yaml',
      'agents:\n  orders:\n    removeTools: [cancel_ordr]\nescalation:\n  channel: general\n',
    );
    const result = await new Promise<{ code: number | null; stderr: string }>((resolve, reject) => {
      const child = spawn(process.execPath, ['--import', 'tsx', 'src/main.ts'], {
        cwd: ROOT,
        env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '/tmp', SWITCHBOARD_CONFIG: file },
        stdio: ['pipe', 'pipe', 'pipe'],
      });
      let stderr = '';
      child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
      child.on('error', reject);
      child.on('close', (code) => resolve({ code, stderr }));
      child.stdin.end('');
    });
    assert.equal(result.code, 2);
    assert.match(result.stderr, new RegExp(`${file}: escalation\\.channel: must be slack:<channel id>`));
    assert.match(
      result.stderr,
      new RegExp(`${file}: agents\\.orders\\.removeTools\\[0\\]: orders has no tool "cancel_ordr"`),
    );
  });

  test('the shipped example is a valid file', () => {
    const config = loadConfig({
      SWITCHBOARD_CONFIG: path.join(ROOT, 'switchboard.example.yaml'),
      SHOP_TOKEN: 'shop-token',
      TRACKER_TOKEN: 'tracker-token',
    });
    assert.deepEqual(Object.keys(config.mcpServers), ['shop', 'tracker']);
    const agents = createAgentRegistry(undefined, config.knowledge.agent, config.agents);
    assert.deepEqual(
      agents.all().map((a) => a.id),
      ['triage', 'orders', 'technical_support', 'returns'],
    );
    assert.equal(agents.get('technical_support')!.name, 'Help desk');
  });
});
