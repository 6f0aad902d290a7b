import assert from 'node:assert/strict';
import { test } from 'node:test';
import { STARTS_PER_PASS, TurnStarts } from '../src/conversation/turnStarts.js';

test('a burst of turns starts in arrival order, STARTS_PER_PASS per pass of the event loop', async () => {
  const starts = new TurnStarts();
  // A ticker that counts passes of the event loop: an immediate that sets the next one runs once per pass.
  let pass = 0;
  let ticking = true;
  const tick = () => {
    pass++;
    if (ticking) setImmediate(tick);
  };
  setImmediate(tick);
  const count = STARTS_PER_PASS * 2 + 3;
  const started: Array<{ turn: number; pass: number }> = [];
  await Promise.all(Array.from({ length: count }, (_, turn) => starts.next().then(() => started.push({ turn, pass }))));
  ticking = false;
  assert.deepEqual(
    started.map((s) => s.turn),
    Array.from({ length: count }, (_, i) => i),
  );
  const perPass = new Map<number, number>();
  for (const s of started) perPass.set(s.pass, (perPass.get(s.pass) ?? 0) + 1);
  // Each group in a pass of its own.
  assert.deepEqual([...perPass.values()], [STARTS_PER_PASS, STARTS_PER_PASS, 3]);
});

test('after the queue has emptied, a later turn still starts', async () => {
  const starts = new TurnStarts();
  let started = 0;
  await starts.next().then(() => started++);
  await starts.next().then(() => started++);
  assert.equal(started, 2);
});
