import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, test } from 'node:test';
import type { ThreadState } from '../src/conversation/threadState.js';
import { UNCONFIRMED_REPLY } from '../src/orchestrator/review.js';
import type { TelemetryOf } from '../src/telemetry.js';
import type { FakeReply, RecordedRequest } from './fakes/openaiServer.js';
import { ConsoleSession, type FakeOpenAI, suiteFakeOpenAI, tempDir, toolNames } from './harness.js';

/**
 * Grounded answers: a reviewed agent's draft goes to a reviewer call before the customer sees it, is revised on
 * rejection, and leaves without any id, figure or date the sources lack. The scenario is always
 * triage → transfer_to_orders → lookup_order ORD-1001 (shipped, UPS, estimatedDelivery 2026-11-24) → draft.
 */

const QUESTION = 'Where is my order ORD-1001?';
const TRACKING = '1Z999AA10123456784';
const INVENTED = 'Order ORD-1001 has shipped. It will arrive on December 25.';
const CORRECTED = 'Order ORD-1001 has shipped with UPS and should arrive on November 24.';
const REVIEWED = { REVIEWED_AGENTS: 'orders' };
/** As shipped: no reviewer, and Orders' own `checkFacts`. */
const CHECKED = { REVIEWED_AGENTS: 'none', CHECKED_AGENTS: '' };

const firstSystem = (request: RecordedRequest) =>
  request.body.messages[0]?.role === 'system' ? (request.body.messages[0].content ?? '') : '';
const isReview = (request: RecordedRequest) => /check a customer-support reply/.test(firstSystem(request));
const isRevision = (request: RecordedRequest) => {
  const last = request.body.messages.at(-1);
  return last?.role === 'user' && /A reviewer checked your reply/.test(last.content ?? '');
};
/** The draft a review request asks about. */
const draftOf = (request: RecordedRequest) =>
  (request.body.messages.at(-1)?.content ?? '').split('Draft reply:\n')[1] ?? '';
const verdict = (approved: boolean, score: number, ...issues: string[]) => JSON.stringify({ approved, issues, score });

interface Scenario {
  /** The agent's first draft, after the lookup. */
  draft: string | FakeReply;
  /** The reviewer's raw answer to its n-th request (1-based). */
  review(n: number, request: RecordedRequest): string;
  /** The agent's n-th revised draft (1-based). */
  revise?(n: number, request: RecordedRequest): string;
}

/** One responder for the whole conversation, telling the reviewer and revision requests apart by their content. */
function play(fake: FakeOpenAI, scenario: Scenario): void {
  fake.reset();
  const count = (kind: (r: RecordedRequest) => boolean) => fake.requests.filter(kind).length;
  fake.respondWith((request): FakeReply => {
    if (isReview(request)) return { text: scenario.review(count(isReview), request) };
    if (isRevision(request))
      return { text: scenario.revise?.(count(isRevision), request) ?? 'unexpected revision request' };
    if (/front desk/.test(firstSystem(request))) return { toolCalls: [{ name: 'transfer_to_orders' }] };
    const looked = request.body.messages.some((m) => m.role === 'tool' && (m.content ?? '').includes(TRACKING));
    if (!looked) return { toolCalls: [{ name: 'lookup_order', arguments: { order_id: 'ORD-1001' } }] };
    return typeof scenario.draft === 'string' ? { text: scenario.draft } : scenario.draft;
  });
}

async function ask(
  fake: FakeOpenAI,
  env: Record<string, string>,
  question = QUESTION,
): Promise<{ text: string; state: ThreadState; reviews: Array<TelemetryOf<'review'>> }> {
  const data = tempDir();
  const chat = ConsoleSession.openai(fake, { DATA_DIR: data.dir, ...env });
  const reviews: Array<TelemetryOf<'review'>> = [];
  chat.app.telemetry.on('review', (event) => reviews.push(event));
  chat.type(question);
  await chat.end();
  const state = await chat.state();
  await chat.close();
  data.remove();
  return { text: chat.text, state, reviews };
}

const reviewRequests = (fake: FakeOpenAI) => fake.requests.filter(isReview);
const revisionRequests = (fake: FakeOpenAI) => fake.requests.filter(isRevision);
const lastAssistant = (state: ThreadState) => [...state.history].reverse().find((m) => m.role === 'assistant')?.content;

describe('grounded answers with a model reviewer', () => {
  const fake = suiteFakeOpenAI();

  test('an invented delivery date is rejected, revised from the issue, and the corrected reply is what the customer sees', async () => {
    const issue = 'The delivery date "December 25" is not in the lookup result (estimatedDelivery is 2026-11-24).';
    play(fake, {
      draft: INVENTED,
      review: (n) => (n === 1 ? verdict(false, 0.5, issue) : verdict(true, 1)),
      revise: () => CORRECTED,
    });
    const { text, state, reviews } = await ask(fake, REVIEWED);

    assert.match(text, new RegExp(`\\[Orders\\] ${CORRECTED.replace(/[.()]/g, '\\$&')}`));
    assert.ok(!text.includes('December 25'), `the invented date never reached the customer:\n${text}`);

    const [first, second] = reviewRequests(fake);
    assert.ok(first && second, 'the draft and its revision were both reviewed');
    assert.deepEqual((first.body as Record<string, unknown>).response_format, { type: 'json_object' });
    assert.deepEqual(toolNames(fake, fake.requests.indexOf(first)), [], 'the reviewer gets no tools');
    const prompt = first.body.messages.at(-1)?.content ?? '';
    assert.match(prompt, /^Sources:\n/);
    assert.ok(
      prompt.includes(TRACKING) && prompt.includes('2026-11-24'),
      `the lookup_order result is a source:\n${prompt}`,
    );
    assert.ok(prompt.includes(`Draft reply:\n${INVENTED}`), prompt);
    assert.ok((second.body.messages.at(-1)?.content ?? '').includes(`Draft reply:\n${CORRECTED}`));

    const revisions = revisionRequests(fake);
    assert.equal(revisions.length, 1);
    const revision = revisions[0]!;
    assert.match(firstSystem(revision), /Orders specialist/, 'the agent itself revises, with its own instructions');
    assert.ok(
      (revision.body.messages.at(-1)?.content ?? '').includes(issue),
      "the reviewer's issue is passed on verbatim",
    );
    const beforePrompt = revision.body.messages.at(-2);
    assert.equal(beforePrompt?.role, 'assistant');
    assert.equal(beforePrompt?.content, INVENTED, 'the rejected draft precedes the list of issues');
    assert.ok(
      revision.body.messages.some((m) => m.role === 'tool' && (m.content ?? '').includes(TRACKING)),
      'the revision sees the lookup result',
    );

    assert.equal(lastAssistant(state), CORRECTED);
    assert.ok(
      !state.history.some((m) => m.role === 'user' && /A reviewer checked/.test(m.content)),
      'review prompts stay out of the thread',
    );
    assert.ok(!JSON.stringify(state.history).includes('December 25'), 'the invented draft is not saved');
    // Triage's transfer; Orders' lookup and draft, two reviews and one revision.
    assert.equal(state.usage.byAgent.triage?.calls, 1);
    assert.equal(state.usage.byAgent.orders?.calls, 5);
    assert.equal(state.usage.total.calls, 6);
    assert.deepEqual(
      reviews.map((r) => [r.revision, r.approved, r.score]),
      [
        [0, false, 0.5],
        [1, true, 1],
      ],
    );
  });

  test('a lax reviewer that approves an invented date: the sentence with the date is still removed', async () => {
    play(fake, { draft: INVENTED, review: () => verdict(true, 1) });
    const { text, state } = await ask(fake, REVIEWED);
    assert.equal(reviewRequests(fake).length, 1);
    assert.equal(revisionRequests(fake).length, 0, 'an approved draft is not revised');
    assert.match(text, /\[Orders\] Order ORD-1001 has shipped\.\n/);
    assert.ok(!text.includes('December 25'), text);
    assert.equal(lastAssistant(state), 'Order ORD-1001 has shipped.');
  });

  test('when nothing in an approved draft is supported, the customer gets the unconfirmed reply', async () => {
    play(fake, { draft: 'It will arrive on December 25, and shipping was $4.99.', review: () => verdict(true, 1) });
    const { text, state } = await ask(fake, REVIEWED);
    assert.ok(text.includes(`[Orders] ${UNCONFIRMED_REPLY}`), text);
    assert.ok(!text.includes('December 25') && !text.includes('$4.99'), text);
    assert.equal(lastAssistant(state), UNCONFIRMED_REPLY);
  });

  test('a stubborn model: the loop stops after one revision that scores no better; the draft without its date passes a last check', async () => {
    play(fake, {
      draft: INVENTED,
      review: (_n, request) =>
        draftOf(request).includes('December')
          ? verdict(false, 0.5, '"December 25" is not supported by the sources.')
          : verdict(true, 1),
      revise: () => 'Order ORD-1001 has shipped. It will definitely arrive on December 25.',
    });
    const { text, reviews } = await ask(fake, REVIEWED);
    assert.equal(revisionRequests(fake).length, 1, 'no second revision once the score stopped improving');
    assert.deepEqual(reviewRequests(fake).map(draftOf), [
      INVENTED,
      'Order ORD-1001 has shipped. It will definitely arrive on December 25.',
      'Order ORD-1001 has shipped.',
    ]);
    assert.deepEqual(
      reviews.map((r) => [r.revision, r.trimmed, r.approved]),
      [
        [0, false, false],
        [1, false, false],
        [1, true, true],
      ],
    );
    assert.match(text, /\[Orders\] Order ORD-1001 has shipped\.\n/);
    assert.ok(!text.includes('December'), text);
  });

  test('a revision that scores worse: the earlier, better draft is the one kept', async () => {
    play(fake, {
      draft: 'Order ORD-1001 has shipped with UPS. It will arrive on December 25.',
      review: (n, request) =>
        /December|DHL/.test(draftOf(request))
          ? n === 1
            ? verdict(false, 0.6, 'The date is invented.')
            : verdict(false, 0.3, 'The carrier and the date are wrong.')
          : verdict(true, 1),
      revise: () => 'Your parcel ORD-1001 is with DHL. It arrives December 26.',
    });
    const { text, state } = await ask(fake, REVIEWED);
    assert.equal(revisionRequests(fake).length, 1);
    assert.equal(
      draftOf(reviewRequests(fake).at(-1)!),
      'Order ORD-1001 has shipped with UPS.',
      'the last check is of the better draft, trimmed',
    );
    assert.equal(lastAssistant(state), 'Order ORD-1001 has shipped with UPS.');
    assert.ok(!text.includes('DHL') && !text.includes('December'), text);
  });

  test('scores that keep improving: revisions stop at REVIEW_MAX_REVISIONS, and the best draft is kept', async () => {
    const scores = [0.2, 0.4, 0.6];
    const drafts = [
      'Order ORD-1001 has shipped with UPS. It will arrive on December 26.',
      `Order ORD-1001 has shipped with UPS, tracking ${TRACKING}. It will arrive on December 27.`,
    ];
    play(fake, {
      draft: INVENTED,
      review: (n, request) =>
        draftOf(request).includes('December')
          ? verdict(false, scores[n - 1] ?? 0, `issue number ${n}`)
          : verdict(true, 1),
      revise: (n) => drafts[n - 1] ?? 'a third revision was asked for',
    });
    const { text, state } = await ask(fake, { ...REVIEWED, REVIEW_MAX_REVISIONS: '2' });
    assert.equal(reviewRequests(fake).length, 4, 'the first draft, two revisions, and the best one trimmed');
    const revisions = revisionRequests(fake);
    assert.equal(revisions.length, 2);
    assert.ok(
      (revisions[1]!.body.messages.at(-1)?.content ?? '').includes('issue number 2'),
      'each revision gets the latest issues',
    );
    assert.equal(lastAssistant(state), `Order ORD-1001 has shipped with UPS, tracking ${TRACKING}.`);
    assert.ok(!text.includes('December'), text);
  });

  test('REVIEW_MAX_REVISIONS=0: the draft is never revised; only its trimmed form is checked again', async () => {
    play(fake, {
      draft: INVENTED,
      review: (_n, request) =>
        draftOf(request).includes('December') ? verdict(false, 0.5, 'The date is invented.') : verdict(true, 1),
    });
    const { text } = await ask(fake, { ...REVIEWED, REVIEW_MAX_REVISIONS: '0' });
    assert.deepEqual(reviewRequests(fake).map(draftOf), [INVENTED, 'Order ORD-1001 has shipped.']);
    assert.equal(revisionRequests(fake).length, 0);
    assert.match(text, /\[Orders\] Order ORD-1001 has shipped\.\n/);
  });

  test('a rejected claim the figure check cannot see (a carrier, "tomorrow") is never sent, however the revisions go', async () => {
    const invented = 'Order ORD-1001 has shipped with DHL. It will be delivered tomorrow morning.';
    play(fake, {
      draft: invented,
      review: () => verdict(false, 0.5, 'The lookup says UPS, not DHL, and gives no delivery time.'),
      revise: () => 'Your order ORD-1001 is with DHL and arrives tomorrow morning.',
    });
    const { text, state, reviews } = await ask(fake, REVIEWED);
    assert.equal(revisionRequests(fake).length, 1);
    assert.equal(
      reviewRequests(fake).length,
      2,
      'nothing to trim, so no last check: the rejected text is what it would be',
    );
    assert.ok(text.includes(`[Orders] ${UNCONFIRMED_REPLY}`), text);
    assert.ok(!text.includes('DHL') && !text.includes('tomorrow'), text);
    assert.equal(lastAssistant(state), UNCONFIRMED_REPLY);
    assert.deepEqual(
      reviews.map((r) => r.approved),
      [false, false],
    );
  });

  test("the customer's own figure is their claim: a reply may not confirm it, even when the reviewer lets it through", async () => {
    const question = 'Where is my order ORD-1001? I was promised a $500 refund for it.';
    play(fake, {
      draft: 'Your $500 refund for ORD-1001 has been approved. Order ORD-1001 has shipped with UPS.',
      review: () => verdict(true, 1),
    });
    const { text, state } = await ask(fake, REVIEWED, question);
    const listed = reviewRequests(fake)[0]!.body.messages.at(-1)?.content ?? '';
    assert.ok(listed.includes(`The customer wrote (their claim, not a record): ${question}`), listed);
    assert.equal(lastAssistant(state), 'Order ORD-1001 has shipped with UPS.');
    assert.ok(!text.includes('$500 refund for ORD-1001 has been approved'), text);
  });

  test('an unusable verdict (not JSON, or JSON of the wrong shape) falls back to the figure and id check', async () => {
    const answers = ['Looks good to me, ship it!', '{"approved":"yes","score":2}'];
    play(fake, { draft: INVENTED, review: (n) => answers[n - 1] ?? verdict(true, 1), revise: () => CORRECTED });
    const { text, state, reviews } = await ask(fake, REVIEWED);
    const revisions = revisionRequests(fake);
    assert.equal(revisions.length, 1, 'the fallback check rejected the invented date');
    assert.match(revisions[0]!.body.messages.at(-1)?.content ?? '', /"December 25" does not appear in any source/);
    assert.equal(reviewRequests(fake).length, 2);
    assert.deepEqual(
      reviews.map((r) => r.approved),
      [false, true],
      'the fallback approved the grounded revision',
    );
    assert.ok(text.includes(`[Orders] ${CORRECTED}`), text);
    assert.ok(!text.includes('December 25'), text);
    assert.equal(lastAssistant(state), CORRECTED);
  });

  test('a reviewer code fence around the JSON is tolerated', async () => {
    play(fake, { draft: CORRECTED, review: () => `\`\`\`json\n${verdict(true, 0.9)}\n\`\`\`` });
    const { text, reviews } = await ask(fake, REVIEWED);
    assert.deepEqual(
      reviews.map((r) => [r.approved, r.score]),
      [[true, 0.9]],
      'the model verdict was used, not the fallback',
    );
    assert.ok(text.includes(`[Orders] ${CORRECTED}`), text);
  });

  test('without a reviewer, checked Orders streams sentence by sentence and never shows an invented date', async () => {
    let release!: () => void;
    const gate = new Promise<void>((resolve) => (release = resolve));
    // The first chunk is the first sentence and the space after it; the rest waits for the gate.
    play(fake, { draft: { text: INVENTED, chunkChars: 28, gate }, review: () => verdict(true, 1) });
    const data = tempDir();
    const chat = ConsoleSession.openai(fake, { DATA_DIR: data.dir, ...CHECKED });
    chat.type(QUESTION);
    await chat.waitForText('[Orders] Order ORD-1001 has shipped.');
    assert.ok(!chat.text.includes('December'), 'the checked first sentence was shown before the model finished');
    release();
    await chat.end();
    assert.equal(fake.requests.length, 3, 'transfer, lookup, draft: no reviewer call');
    assert.ok(!chat.text.includes('December 25'), chat.text);
    assert.equal(lastAssistant(await chat.state()), 'Order ORD-1001 has shipped.', 'history holds what was shown');
    await chat.close();
    data.remove();
  });

  test('with checkFacts off (config file), the draft streams as it is written, invented date and all', async () => {
    const data = tempDir();
    const file = path.join(data.dir, 'team.yaml');
    writeFileSync(file, 'agents:\n  orders:\n    checkFacts: false\n');
    let release!: () => void;
    const gate = new Promise<void>((resolve) => (release = resolve));
    play(fake, { draft: { text: INVENTED, chunkChars: 6, gate }, review: () => verdict(true, 1) });
    const chat = ConsoleSession.openai(fake, { DATA_DIR: data.dir, SWITCHBOARD_CONFIG: file, CHECKED_AGENTS: '' });
    chat.type(QUESTION);
    await chat.waitForText('[Orders] Order ');
    assert.ok(!chat.text.includes('shipped'), 'the first six characters were shown before the model finished');
    release();
    await chat.end();
    assert.ok(chat.text.includes(`[Orders] ${INVENTED}`), 'unchecked replies go out as written');
    await chat.close();
    data.remove();
  });

  test('a checked reply whose every sentence is unsupported becomes the could-not-confirm reply', async () => {
    play(fake, { draft: 'It will arrive on December 25.', review: () => verdict(true, 1) });
    const { text, state } = await ask(fake, CHECKED);
    assert.ok(!text.includes('December 25'), text);
    assert.ok(text.includes(`[Orders] ${UNCONFIRMED_REPLY}`), text);
    assert.equal(lastAssistant(state), UNCONFIRMED_REPLY);
  });
});

describe('grounded answers offline', () => {
  test('"where is my order ORD-1001?" gets the full template answer: the check strips nothing, with no review', async () => {
    const data = tempDir();
    const chat = await ConsoleSession.offline({ DATA_DIR: data.dir });
    const reviews: Array<TelemetryOf<'review'>> = [];
    chat.app.telemetry.on('review', (event) => reviews.push(event));
    chat.type('where is my order ORD-1001?');
    await chat.end();
    assert.match(
      chat.text,
      /\[Orders\] Order ORD-1001 has shipped with UPS \(tracking 1Z999AA10123456784\) and should arrive on 2026-11-24\. Items: Mechanical keyboard \(75%\) ×1; total \$129\.00\./,
    );
    assert.deepEqual(reviews, [], 'Orders is checked, not reviewed, by default');
    const state = await chat.state();
    assert.equal(state.activeAgent, 'orders');
    assert.match(String(lastAssistant(state)), /tracking 1Z999AA10123456784\) and should arrive on 2026-11-24/);
    await chat.close();
    data.remove();
  });
});
