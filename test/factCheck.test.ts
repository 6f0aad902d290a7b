import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { loadConfig } from '../src/config.js';
import { createLogger } from '../src/log.js';
import { createModel } from '../src/main.js';
import { groundTruth } from '../src/orchestrator/grounding.js';
import { SentenceGate } from '../src/orchestrator/sentenceGate.js';

describe('the sentence gate', () => {
  const truth = groundTruth(['{"id":"ORD-1001","total":129.5,"estimatedDelivery":"2026-11-24"}']);
  const stream = (pieces: string[]) => {
    const shown: string[] = [];
    const gate = new SentenceGate(
      () => truth,
      (text) => shown.push(text),
    );
    for (const piece of pieces) gate.push(piece);
    const beforeEnd = shown.join('');
    return { beforeEnd, final: gate.finish(), shown: shown.join('') };
  };

  test('a sentence goes out once the whitespace after it arrives; a decimal point does not end one', () => {
    const { beforeEnd, final, shown } = stream([
      'Your total was $129',
      '.50 for ORD-',
      '1001. It arrives ',
      'on 2026-11-24.',
    ]);
    assert.equal(beforeEnd, 'Your total was $129.50 for ORD-1001. ');
    assert.equal(final, 'Your total was $129.50 for ORD-1001. It arrives on 2026-11-24.');
    assert.equal(shown, final);
  });

  test('an unsupported sentence in the middle is dropped; lines stay lines', () => {
    const { final, shown } = stream(['Order ORD-1001:\n', '- refunded $40 on May 2.\n', '- arrives 2026-11-24.']);
    assert.equal(final, 'Order ORD-1001:\n\n- arrives 2026-11-24.');
    assert.equal(shown, final);
    assert.equal(stream(['e.g. ORD-1001 is ', 'yours. It costs $5.']).final, 'e.g. ORD-1001 is yours.');
  });
});

describe('the offline reviewer', () => {
  const silent = createLogger({ level: 'silent' });

  test('the offline reviewer rejects an invented date and amount, and approves a grounded draft', async () => {
    const { provider } = await createModel(loadConfig({ MODEL_PROVIDER: 'offline' }), silent);
    const sources = ['{"id":"ORD-1001","estimatedDelivery":"2026-11-24","total":129}'];
    const review = async (draft: string) => {
      const response = await provider.complete({
        model: 'x',
        agent: 'orders',
        system: '',
        messages: [],
        tools: [],
        purpose: 'review',
        context: { draft, sources },
      });
      assert.equal(response.toolCalls.length, 0);
      return JSON.parse(response.text) as { approved: boolean; issues: string[]; score: number };
    };

    const rejected = await review('Order ORD-1001 arrives on December 25 and costs $99.00.');
    assert.equal(rejected.approved, false);
    assert.ok(
      rejected.issues.some((i) => i.includes('December 25')),
      rejected.issues.join('; '),
    );
    assert.ok(
      rejected.issues.some((i) => i.includes('$99.00')),
      rejected.issues.join('; '),
    );
    assert.ok(!rejected.issues.some((i) => i.includes('ORD-1001')), 'the supported id is not an issue');
    assert.ok(rejected.score > 0 && rejected.score < 1, `score ${rejected.score}`);

    const approved = await review('Order ORD-1001 should arrive on 2026-11-24 (November 24) and cost $129.00.');
    assert.deepEqual(approved, { approved: true, issues: [], score: 1 });
  });
});
