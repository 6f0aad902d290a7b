import { type DestinationStream, type Logger, pino } from 'pino';

export type { Logger };

/** Fields that hold a secret: replaced by [redacted] at the top of a line and in a logged error's request headers. */
const SECRET_KEYS = [
  'apiKey',
  'api_key',
  'token',
  'botToken',
  'appToken',
  'signingSecret',
  'secret',
  'password',
  'authorization',
  'Authorization',
  'OPENAI_API_KEY',
  'SLACK_BOT_TOKEN',
  'SLACK_APP_TOKEN',
  'SLACK_SIGNING_SECRET',
  'DISCORD_BOT_TOKEN',
];

/**
 * Explicit paths only: pino's wildcard paths (`*.key`, `*.*.key`) cost about 100 µs a line, fifty times the logging
 * itself (bench/logRedaction.ts). What a path cannot foresee, a secret inside a message or a nested object, the
 * `secrets` scrub catches by value.
 */
export const REDACT_PATHS = [
  ...SECRET_KEYS,
  ...['headers', 'err.headers', 'err.request.headers', 'err.config.headers'].flatMap((at) => [
    `${at}.authorization`,
    `${at}.Authorization`,
  ]),
];

/** Shorter values are not scrubbed by value: they would blank out ordinary words. */
const MIN_SECRET_CHARS = 8;

/** Replaces every configured secret value in a finished log line, wherever it appears. */
export function secretScrubber(secrets: Iterable<string | undefined>): ((line: string) => string) | undefined {
  const values = [...new Set([...secrets].filter((v): v is string => (v?.length ?? 0) >= MIN_SECRET_CHARS))];
  if (values.length === 0) return undefined;
  // JSON escapes some characters, so a secret is looked for as it appears inside a JSON string as well.
  const forms = [...new Set(values.flatMap((v) => [v, JSON.stringify(v).slice(1, -1)]))];
  return (line) => {
    for (const value of forms) if (line.includes(value)) line = line.replaceAll(value, '[redacted]');
    return line;
  };
}

export interface LogOptions {
  level?: string | undefined;
  /** Where JSON lines go; defaults to stdout. */
  destination?: DestinationStream | NodeJS.WritableStream;
  /** Pretty-print (for a human at a terminal). */
  pretty?: boolean;
  /** The deployment's secret values (keys, tokens): scrubbed from every line, wherever they appear. */
  secrets?: Iterable<string | undefined>;
}

export function createLogger(options: LogOptions = {}): Logger {
  const level = options.level ?? 'info';
  const redact = { paths: REDACT_PATHS, censor: '[redacted]' };
  const scrub = secretScrubber(options.secrets ?? []);
  const hooks = scrub ? { streamWrite: scrub } : {};
  if (options.pretty) {
    const fd = options.destination === process.stderr ? 2 : 1;
    return pino({
      level,
      redact,
      hooks,
      transport: { target: 'pino-pretty', options: { destination: fd, colorize: true, ignore: 'pid,hostname' } },
    });
  }
  return pino({ level, redact, hooks, base: undefined }, (options.destination ?? process.stdout) as DestinationStream);
}
