import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, test } from 'node:test';
import { DEMO_CUSTOMER } from '../agents/demoCustomer.js';
import { type ConfirmationReply, classifyConfirmation } from '../src/orchestrator/confirmation.js';
import type { TelemetryEvent } from '../src/telemetry.js';
import { ConsoleSession } from './harness.js';

/**
 * Replies to a confirmation question, each with the outcome a support team would expect. Written apart from the
 * rule they judge (by someone who saw neither the code nor the rule's word lists); the held-out file was not looked at
 * while the rule was tuned, and only its safety (no action on anything but a clear yes) is a hard requirement.
 */
interface Row {
  question: 'Q1' | 'Q2';
  reply: string;
  expected: ConfirmationReply;
}

const table = (file: string): Row[] =>
  JSON.parse(readFileSync(new URL(`./fixtures/${file}`, import.meta.url), 'utf8')) as Row[];
const TUNING = table('confirmation-replies.json');
const HELD_OUT = table('confirmation-replies-holdout.json');
/**
 * Hard cases (sarcasm, conditions, other languages, rambling) written by a second person from the rule alone.
 * Measured once before any change (1 of 27 unclear replies ran the action, 11/18 yeses and 10/15 noes were read
 * right), then its misses were looked at and the rule changed, so it is tuning data now, not an outside measure.
 */
const HARD_CASES = table('confirmation-replies-outside.json');

/** How each question is put: a real turn asks it, then the reply answers it. */
const QUESTIONS = {
  Q1: { ask: 'please cancel order ORD-1002', question: 'Cancel order ORD-1002?', tool: 'cancel_order' },
  Q2: { ask: 'please refund invoice INV-2001', question: 'Refund invoice INV-2001 in full?', tool: 'request_refund' },
} as const;

interface Outcome {
  /** What the reply did: the action ran, it was declined, or it still waits for an answer. */
  got: ConfirmationReply;
  reply: string;
}

/** Puts the row's question in a thread of its own (a real turn of the offline engine), sends the reply, and reads what happened. */
async function play(chat: ConsoleSession, row: Row, index: number, events: TelemetryEvent[]): Promise<Outcome> {
  const { records } = chat.app.store;
  // Fresh demo data for every row: an earlier row may have cancelled the order or refunded the invoice.
  await records.delete('order:ORD-1002');
  // Paid today, so a refund is within its window whatever the date.
  await records.set('invoice:INV-2001', { paidAt: new Date().toISOString().slice(0, 10) });
  const spec = QUESTIONS[row.question];
  const thread = `console:confirm-${index}`;
  const send = (id: string, text: string) =>
    chat.app.service.handle({
      id: `${thread}-${id}`,
      thread,
      userId: 'U-customer',
      verifiedEmail: DEMO_CUSTOMER.email,
      text,
    });
  const asked = await send('ask', spec.ask);
  assert.ok(asked.reply.includes(spec.question), `the question is put: ${asked.reply}`);
  const before = events.length;
  const outcome = await send('reply', row.reply);
  // Carried out: the pending call was approved and run (a refused check of another id would also be a tool call).
  const ran = events
    .slice(before)
    .some((e) => e.type === 'approval' && e.thread === thread && e.tool === spec.tool && e.decision === 'approve');
  const state = await chat.app.service.loadState(thread);
  const got = ran ? 'approve' : state.pendingApproval?.question === spec.question ? 'unclear' : 'reject';
  return { got, reply: outcome.reply };
}

async function runTable(rows: Row[]): Promise<Array<Row & Outcome>> {
  const chat = await ConsoleSession.offlineForTest();
  const events: TelemetryEvent[] = [];
  chat.app.telemetry.on((e) => events.push(e));
  const results: Array<Row & Outcome> = [];
  for (const [i, row] of rows.entries()) results.push({ ...row, ...(await play(chat, row, i, events)) });
  return results;
}

/** The replies that ran the action without being a clear yes. */
function actedWithoutYes(results: Array<Row & Outcome>): string[] {
  return results
    .filter((r) => r.got === 'approve' && r.expected !== 'approve')
    .map((r) => `${r.question} ${JSON.stringify(r.reply)} (${r.expected})`);
}

function summary(name: string, results: Array<Row & Outcome>): string {
  const count = (expected: ConfirmationReply, got?: ConfirmationReply) =>
    results.filter((r) => r.expected === expected && (got === undefined || r.got === got)).length;
  return (
    `# confirmation table (${name}, ${results.length} replies): ` +
    `unclear that ran an action ${count('unclear', 'approve')}/${count('unclear')}, ` +
    `clear no that ran ${count('reject', 'approve')}/${count('reject')}, ` +
    `clear yes that ran ${count('approve', 'approve')}/${count('approve')}, ` +
    `clear no declined ${count('reject', 'reject')}/${count('reject')}, unclear kept waiting ${count('unclear', 'unclear')}/${count('unclear')}`
  );
}

describe('confirmation: only a clear yes acts', () => {
  test('the tuning table: every reply has the expected outcome, through the real run loop', async () => {
    assert.ok(TUNING.length >= 60, 'at least 60 replies');
    const results = await runTable(TUNING);
    console.log(summary('tuning', results));
    const wrong = results
      .filter((r) => r.got !== r.expected)
      .map((r) => `${r.question} ${JSON.stringify(r.reply)}: expected ${r.expected}, got ${r.got}`);
    assert.deepEqual(wrong, []);
  });

  test('the held-out table: nothing but a clear yes runs the action', async () => {
    const results = await runTable(HELD_OUT);
    console.log(summary('held out', results));
    assert.deepEqual(actedWithoutYes(results), [], 'no unclear reply and no no ran the action');
    // A reply that does not act keeps waiting or is declined; the question is put again while it waits.
    for (const r of results.filter((row) => row.got === 'unclear'))
      assert.match(
        r.reply,
        /I still need your answer: (Cancel order ORD-1002|Refund invoice INV-2001 in full)\?/,
        r.reply,
      );
  });

  test('the hard cases: nothing but a clear yes runs the action', async () => {
    const results = await runTable(HARD_CASES);
    console.log(summary('hard cases', results));
    assert.deepEqual(actedWithoutYes(results), []);
    const declined = results.filter((r) => r.expected === 'reject' && r.got !== 'reject').map((r) => r.reply);
    assert.deepEqual(declined, [], 'every clear no, in any of its languages, is read as one');
  });

  test('the rule reads the question: restating it is still a yes, another id or action is not', () => {
    const cancel = 'Cancel order ORD-1002?';
    assert.equal(classifyConfirmation('yes, cancel ORD-1002', cancel), 'approve');
    assert.equal(classifyConfirmation('yes cancel order 1002 please', cancel), 'approve');
    assert.equal(classifyConfirmation('yes cancel ORD-1006', cancel), 'unclear');
    assert.equal(classifyConfirmation('yes, refund it', cancel), 'unclear');
    assert.equal(classifyConfirmation('no, refund it instead', cancel), 'unclear');
    assert.equal(classifyConfirmation('no, I still want it', cancel), 'reject');
    // A bare "cancel" to "Cancel order …?" could mean either, and a thumbs-up as often means "seen".
    assert.equal(classifyConfirmation('cancel', cancel), 'unclear');
    assert.equal(classifyConfirmation('👍', cancel), 'unclear');
    // Undecided, though it holds a "don't"; a no with a hesitation in it is still a no.
    assert.equal(classifyConfirmation("I don't know", cancel), 'unclear');
    assert.equal(classifyConfirmation('actually no, I want to keep it', cancel), 'reject');
    assert.equal(classifyConfirmation('no, that is fine as it is', cancel), 'reject');
    // A yes phrase under a negation is a no, not a contradiction.
    assert.equal(classifyConfirmation("don't do it", cancel), 'reject');
  });
});
