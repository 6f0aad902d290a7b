import { isEntryPoint } from '../src/entryPoint.js';

/** Runs a benchmark's main when its file is the script started; a failure prints its stack and exits 1. */
export function runIfEntryPoint(moduleUrl: string, main: () => Promise<void>): void {
  if (!isEntryPoint(moduleUrl)) return;
  main().catch((err: unknown) => {
    process.stderr.write(`bench failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
    process.exit(1);
  });
}
