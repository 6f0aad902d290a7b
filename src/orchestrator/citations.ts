import { z } from 'zod';
import { parseJson } from '../parseJson.js';

/** An article an answer drew on: adapters list these under the reply, as links where there is an address. */
export interface Source {
  title: string;
  url?: string | undefined;
}

/** A passage a tool returned that an answer may quote: a tool result `{ passages: [...] }` offers these. */
export interface CitablePassage {
  title: string;
  url?: string | undefined;
  text: string;
}

const citableResult = z.object({
  passages: z.array(
    z.object({
      title: z.string().min(1),
      url: z.string().nullish(),
      text: z.string(),
    }),
  ),
});

/** The passages a tool result offers for citing; none for any other result. */
export function citablePassages(content: string): CitablePassage[] {
  if (!content.startsWith('{')) return [];
  const parsed = citableResult.safeParse(parseJson(content));
  return parsed.success
    ? parsed.data.passages.map((p) => ({ title: p.title, url: p.url ?? undefined, text: p.text }))
    : [];
}

/** A search result that found no passage: `{ passages: [] }`. */
export function isEmptySearch(content: string): boolean {
  if (!content.startsWith('{')) return false;
  const parsed = parseJson(content) as { passages?: unknown } | undefined;
  return Array.isArray(parsed?.passages) && parsed.passages.length === 0;
}

/** Sources listed under one answer, at most. */
export const MAX_SOURCES = 3;
/** Content words an answer must share with a passage before the passage counts as used. */
const MIN_SHARED_WORDS = 3;
/** Share of a passage's (or the answer's, if shorter) words the answer must hold to count as drawing on it. */
const MIN_OVERLAP = 0.15;
/** A passage used far less than the best one was likely only found, not used. */
const RELATIVE_TO_BEST = 0.5;

const FUNCTION_WORDS = new Set(
  'about after also been before being from have here into just more most only other over some such than that their them then there these they this those through very what when where which while will with would your'.split(
    ' ',
  ),
);

/** Content words, crudely folded ("links", "linked" → "link") so a paraphrase still overlaps. */
function wordsOf(text: string): Set<string> {
  const out = new Set<string>();
  for (const word of text.toLowerCase().match(/\p{L}[\p{L}\p{N}'-]*/gu) ?? []) {
    if (word.length < 4 || FUNCTION_WORDS.has(word)) continue;
    out.add(word.replace(/(?:'s|ing|ed|es|s)$/, ''));
  }
  return out;
}

/**
 * The articles an answer drew on, most used first: of the passages this turn's searches returned, those whose
 * words the answer shares. A search that found three passages and an answer that used one cites one.
 */
export function sourcesUsed(answer: string, passages: readonly CitablePassage[]): Source[] {
  if (passages.length === 0 || answer.trim() === '') return [];
  const said = wordsOf(answer);
  const scored = passages.map((passage) => {
    const words = wordsOf(passage.text);
    let shared = 0;
    for (const word of words) if (said.has(word)) shared++;
    const overlap = shared / Math.max(1, Math.min(words.size, said.size));
    return { passage, shared, overlap };
  });
  const best = Math.max(...scored.map((s) => s.overlap));
  const bySource = new Map<string, { source: Source; overlap: number }>();
  for (const { passage, shared, overlap } of scored) {
    if (shared < MIN_SHARED_WORDS || overlap < Math.max(MIN_OVERLAP, best * RELATIVE_TO_BEST)) continue;
    const key = passage.url ?? passage.title;
    const entry = bySource.get(key);
    if (entry) entry.overlap = Math.max(entry.overlap, overlap);
    else bySource.set(key, { source: { title: passage.title, url: passage.url }, overlap });
  }
  return [...bySource.values()]
    .sort((a, b) => b.overlap - a.overlap)
    .slice(0, MAX_SOURCES)
    .map((entry) => entry.source);
}
