import { type DestinationStream, type Logger, pino } from 'pino';

export type { Logger };

/** Any field with one of these names is replaced by [redacted], at the top level and up to three levels down. */
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

export const REDACT_PATHS = SECRET_KEYS.flatMap((key) => [key, `*.${key}`, `*.*.${key}`, `*.*.*.${key}`]);

export interface LogOptions {
  level?: string | undefined;
  /** Where JSON lines go; defaults to stdout. */
  destination?: DestinationStream | NodeJS.WritableStream;
  /** Pretty-print (for a human at a terminal). */
  pretty?: boolean;
}

export function createLogger(options: LogOptions = {}): Logger {
  const level = options.level ?? 'info';
  const redact = { paths: REDACT_PATHS, censor: '[redacted]' };
  if (options.pretty) {
    const fd = options.destination === process.stderr ? 2 : 1;
    return pino({
      level,
      redact,
      transport: { target: 'pino-pretty', options: { destination: fd, colorize: true, ignore: 'pid,hostname' } },
    });
  }
  return pino({ level, redact, base: undefined }, (options.destination ?? process.stdout) as DestinationStream);
}
