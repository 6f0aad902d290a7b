/**
 * `npm start`: the compiled build (`npm run build`, in dist/) when it is newer than every file it was built from, so
 * no TypeScript loader runs (about 30 MB less memory under load; bench/endToEnd.ts). Otherwise the TypeScript itself
 * through tsx, so a fresh clone and a file just edited both run as they are.
 */
import { existsSync, readdirSync, statSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const BUILT = path.join(ROOT, 'dist/src/main.js');
const SOURCES = ['src', 'adapters', 'agents'];

/** The latest change to any file under `dir`, in ms. */
function latestChange(dir) {
  let latest = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true, recursive: true }))
    if (entry.isFile())
      latest = Math.max(latest, statSync(path.join(entry.parentPath ?? entry.path, entry.name)).mtimeMs);
  return latest;
}

export function buildIsCurrent() {
  if (!existsSync(BUILT)) return false;
  const built = statSync(BUILT).mtimeMs;
  return SOURCES.every((dir) => latestChange(path.join(ROOT, dir)) <= built);
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const compiled = buildIsCurrent();
  const entry = compiled ? BUILT : path.join(ROOT, 'src/main.ts');
  if (!compiled) (await import('tsx/esm/api')).register();
  // main.ts starts the bot only when it is the script node was started with (tests import it), so it becomes that.
  process.argv[1] = entry;
  await import(pathToFileURL(entry).href);
}
