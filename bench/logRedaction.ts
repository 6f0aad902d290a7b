/**
 * `npx tsx bench/logRedaction.ts`: what redaction adds to one log line. A `turn.end` line, the one info line a turn
 * writes, is logged to a sink that drops it: without redaction (the baseline), with the wildcard paths the bot used
 * before (`*.key` up to three levels), and as it is now (explicit paths plus the configured secrets scrubbed by
 * value). Rounds alternate, so machine noise hits all three alike.
 */
import { Writable } from 'node:stream';
import { type DestinationStream, pino } from 'pino';
import { REDACT_PATHS, secretScrubber } from '../src/log.js';
import { runIfEntryPoint } from './entry.js';

const LINES = 50_000;
const ROUNDS = 3;
const SECRET_KEYS = REDACT_PATHS.filter((p) => !p.includes('.'));
const WILDCARD_PATHS = SECRET_KEYS.flatMap((key) => [key, `*.${key}`, `*.*.${key}`, `*.*.*.${key}`]);
const SECRETS = [
  'sk-bench-0123456789abcdef',
  'xoxb-1111-2222-abcdefabcdef',
  'xapp-1-A111-2222-abcdef',
  'a1b2c3d4e5f6a7b8',
];
const LINE = {
  thread: 'slack:T0TEAM0001:C0BENCH0001:1720000000.000123',
  message: 'Ev0123456789',
  agent: 'orders',
  ms: 312,
  modelCalls: 1,
  promptTokens: 410,
  completionTokens: 38,
};

function logger(kind: 'none' | 'wildcard' | 'now') {
  const sink = new Writable({ write: (_chunk, _enc, done) => done() }) as unknown as DestinationStream;
  if (kind === 'none') return pino({ level: 'info', base: undefined }, sink);
  const paths = kind === 'wildcard' ? WILDCARD_PATHS : REDACT_PATHS;
  const scrub = kind === 'now' ? secretScrubber(SECRETS) : undefined;
  return pino(
    {
      level: 'info',
      base: undefined,
      redact: { paths, censor: '[redacted]' },
      hooks: scrub ? { streamWrite: scrub } : {},
    },
    sink,
  );
}

export function benchLogRedaction(): string {
  const kinds = ['none', 'wildcard', 'now'] as const;
  const best = new Map<string, number>();
  for (let round = 0; round < ROUNDS; round++)
    for (const kind of kinds) {
      const log = logger(kind);
      const started = performance.now();
      for (let i = 0; i < LINES; i++) log.info(LINE, 'turn.end');
      const us = ((performance.now() - started) * 1000) / LINES;
      best.set(kind, Math.min(best.get(kind) ?? Number.POSITIVE_INFINITY, us));
    }
  const none = best.get('none')!;
  const row = (label: string, kind: string) =>
    `${label.padEnd(46)}${best.get(kind)!.toFixed(2).padStart(8)} µs${(best.get(kind)! / none).toFixed(2).padStart(8)}×`;
  return [
    `One turn.end line to a sink, best of ${ROUNDS} rounds of ${LINES.toLocaleString('en')} lines`,
    `${''.padEnd(46)}${'per line'.padStart(11)}${'÷ none'.padStart(9)}`,
    row('no redaction (baseline)', 'none'),
    row(`wildcard paths (${WILDCARD_PATHS.length}, before)`, 'wildcard'),
    row(`explicit paths (${REDACT_PATHS.length}) + ${SECRETS.length} secrets by value (now)`, 'now'),
  ].join('\n');
}

runIfEntryPoint(import.meta.url, async () => {
  process.stdout.write(`${benchLogRedaction()}\n`);
});
