/**
 * The help center at scale: a generated corpus of 5,000 Markdown articles (about 25 MB) loaded, split and indexed
 * as `KNOWLEDGE_DIR` would be, then searched. Reports build time, the RSS the index adds, and search p50/p95.
 * `--json` prints the report as the last line (bench/run.ts runs this in a fresh process, so RSS is the index's).
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { HelpCenter } from '../src/knowledge/helpCenter.js';
import { createLogger } from '../src/log.js';
import { runIfEntryPoint } from './entry.js';

export const ARTICLES = 5_000;
const TARGET_ARTICLE_BYTES = 5_000;
const QUERIES = 1_000;
const RSS_SAMPLE_MS = 20;

/** Goals from issue 23. */
const GOALS = { buildMs: 10_000, searchP95Ms: 5, rssIncreaseMB: 200 };

export interface KnowledgeScaleReport {
  articles: number;
  passages: number;
  corpusMB: number;
  buildMs: number;
  rssBeforeMB: number;
  rssPeakMB: number;
  rssAfterMB: number;
  searchP50Ms: number;
  searchP95Ms: number;
  found: number;
  queries: number;
}

/** Deterministic pseudo-random numbers (mulberry32), so every run searches the same corpus. */
function random(seed: number): () => number {
  let a = seed;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const COMMON =
  'account settings open choose select page screen button menu option change update turn on off enable disable ' +
  'your the a to and of in for with when after before if you can is are be it this that from then new all each ' +
  'email password login sign in out device phone app web desktop browser version update sync error message ' +
  'team workspace member admin role plan billing invoice payment card refund trial seat export import file ' +
  'share link access permission notification reminder calendar note notebook tag search filter folder trash';

/** A vocabulary like a help center's: a few hundred common words and a long tail of product terms. */
function vocabulary(next: () => number): string[] {
  const syllables = ['ka', 'lo', 'mi', 'ter', 'vo', 'sa', 'ne', 'ri', 'den', 'pla', 'quo', 'zu', 'fin', 'gra', 'sto'];
  const rare = new Set<string>();
  while (rare.size < 20_000) {
    const n = 2 + Math.floor(next() * 3);
    rare.add(Array.from({ length: n }, () => syllables[Math.floor(next() * syllables.length)]).join(''));
  }
  return [...COMMON.split(' '), ...rare];
}

/** A word drawn with Zipf-like frequency: common words often, the long tail rarely. */
function wordPicker(words: string[], next: () => number): () => string {
  return () => words[Math.floor(words.length * next() ** 3)]!;
}

function sentence(pick: () => string, next: () => number): string {
  const length = 8 + Math.floor(next() * 14);
  const text = Array.from({ length }, pick).join(' ');
  return `${text.charAt(0).toUpperCase()}${text.slice(1)}.`;
}

/** Writes the corpus under `dir`; returns its size in bytes and sample questions taken from its sections. */
export function generateCorpus(dir: string, articles = ARTICLES): { bytes: number; questions: string[] } {
  const next = random(23);
  const words = vocabulary(next);
  const pick = wordPicker(words, next);
  let bytes = 0;
  const questions: string[] = [];
  for (let i = 0; i < articles; i++) {
    const folder = path.join(dir, `section-${i % 40}`);
    if (i < 40) mkdirSync(folder, { recursive: true });
    const title = Array.from({ length: 3 + Math.floor(next() * 4) }, pick).join(' ');
    const lines = [
      '---',
      `title: ${JSON.stringify(title)}`,
      `url: https://help.example.com/articles/${i}`,
      `tags: [${pick()}, ${pick()}]`,
      '---',
      `# ${title}`,
      '',
    ];
    let size = lines.join('\n').length;
    while (size < TARGET_ARTICLE_BYTES) {
      const heading = Array.from({ length: 2 + Math.floor(next() * 4) }, pick).join(' ');
      const paragraph = Array.from({ length: 4 + Math.floor(next() * 5) }, () => sentence(pick, next)).join(' ');
      lines.push(`## ${heading}`, '', paragraph, '');
      size += heading.length + paragraph.length + 6;
      if (questions.length < QUERIES && next() < 0.05) {
        const terms = paragraph.split(/\W+/).filter((w) => w.length > 4);
        questions.push(`how do I ${terms.slice(0, 2 + Math.floor(next() * 3)).join(' ')}`);
      }
    }
    const text = lines.join('\n');
    writeFileSync(path.join(folder, `article-${i}.md`), text);
    bytes += Buffer.byteLength(text);
  }
  return { bytes, questions };
}

const mb = (bytes: number) => Math.round((bytes / 1024 / 1024) * 10) / 10;

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
}

export async function benchKnowledgeScale(): Promise<KnowledgeScaleReport> {
  const dir = mkdtempSync(path.join(tmpdir(), 'switchboard-knowledge-bench-'));
  try {
    // Written by another process, so this one's memory is the help center's alone, not the generator's leftovers.
    const script = fileURLToPath(import.meta.url);
    const output = execFileSync(process.execPath, ['--import', 'tsx', script, '--generate', dir], {
      encoding: 'utf8',
      maxBuffer: 16 * 1024 * 1024,
    });
    const { bytes, questions } = JSON.parse(output.trim().split('\n').at(-1)!) as {
      bytes: number;
      questions: string[];
    };
    (globalThis as { gc?: () => void }).gc?.();
    const rssBefore = process.memoryUsage().rss;
    let rssPeak = rssBefore;
    const sampler = setInterval(() => {
      rssPeak = Math.max(rssPeak, process.memoryUsage().rss);
    }, RSS_SAMPLE_MS);
    const started = performance.now();
    const helpCenter = new HelpCenter({ dir, log: createLogger({ level: 'silent' }) });
    await helpCenter.ready;
    const buildMs = performance.now() - started;
    const builtRss = process.memoryUsage().rss;
    const times: number[] = [];
    let found = 0;
    for (const question of questions) {
      const t = performance.now();
      const hits = await helpCenter.search(question);
      times.push(performance.now() - t);
      if (hits.length > 0) found++;
    }
    clearInterval(sampler);
    rssPeak = Math.max(rssPeak, process.memoryUsage().rss);
    const rssAfter = process.memoryUsage().rss;
    if (process.env.BENCH_DEBUG)
      process.stderr.write(`${JSON.stringify(process.memoryUsage())} built at ${mb(builtRss)}\n`);
    times.sort((a, b) => a - b);
    await helpCenter.close();
    return {
      articles: helpCenter.size.articles,
      passages: helpCenter.size.passages,
      corpusMB: mb(bytes),
      buildMs: Math.round(buildMs),
      rssBeforeMB: mb(rssBefore),
      rssPeakMB: mb(rssPeak),
      rssAfterMB: mb(rssAfter),
      searchP50Ms: Math.round(percentile(times, 50) * 1000) / 1000,
      searchP95Ms: Math.round(percentile(times, 95) * 1000) / 1000,
      found,
      queries: questions.length,
    };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

export function formatKnowledgeScale(r: KnowledgeScaleReport): string {
  const increase = Math.round((r.rssPeakMB - r.rssBeforeMB) * 10) / 10;
  const verdict = (ok: boolean) => (ok ? 'met' : 'NOT met');
  return [
    `Help center at scale: ${r.articles.toLocaleString('en')} generated Markdown articles (${r.corpusMB} MB), ${r.passages.toLocaleString('en')} passages, keyword search`,
    'build = read, parse and split every file, then index the passages (as KNOWLEDGE_DIR at start-up or after a change)',
    `  build: ${(r.buildMs / 1000).toFixed(2)} s  — goal ≤ ${GOALS.buildMs / 1000} s: ${verdict(r.buildMs <= GOALS.buildMs)}`,
    `  RSS: ${r.rssBeforeMB} MB before, ${r.rssPeakMB} MB peak while building and searching, ${r.rssAfterMB} MB after`,
    `  RSS increase (peak − before): ${increase} MB  — goal ≤ ${GOALS.rssIncreaseMB} MB: ${verdict(increase <= GOALS.rssIncreaseMB)}`,
    `  search over ${r.queries} questions taken from the articles: p50 ${r.searchP50Ms} ms, p95 ${r.searchP95Ms} ms  — goal p95 ≤ ${GOALS.searchP95Ms} ms: ${verdict(r.searchP95Ms <= GOALS.searchP95Ms)}`,
    `  questions that found a passage: ${r.found}/${r.queries}`,
  ].join('\n');
}

async function main(): Promise<void> {
  const generate = process.argv.indexOf('--generate');
  if (generate >= 0) {
    process.stdout.write(`${JSON.stringify(generateCorpus(process.argv[generate + 1]!))}\n`);
    return;
  }
  const report = await benchKnowledgeScale();
  if (process.argv.includes('--json')) process.stdout.write(`${JSON.stringify(report)}\n`);
  else process.stdout.write(`${formatKnowledgeScale(report)}\n`);
}

runIfEntryPoint(import.meta.url, main);
