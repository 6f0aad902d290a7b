import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { groundTruth } from '../src/orchestrator/grounding.js';
import { SentenceGate } from '../src/orchestrator/sentenceGate.js';

describe('the sentence gate', () => {
  const truth = groundTruth(['{"id":"ORD-1001","total":129.5,"estimatedDelivery":"2026-11-24"}']);
  const stream = (pieces: string[]) => {
    const shown: string[] = [];
    const gate = new SentenceGate(truth, (text) => shown.push(text));
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
