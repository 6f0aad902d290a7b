import { StemmerEn } from '@nlpjs/lang-en-min';
import type { Passage } from './passages.js';
import { closeTerms } from './termMatch.js';

/**
 * Words that say nothing about which article is meant. Left in, they decide close calls by how often an article
 * says "you" or "have": "what plans do you have?" found the cancellation article before the one about plans. The
 * second line is how support questions are worded ("what is your return policy", "I have a question about…"):
 * the topic is in the other words.
 */
const STOP_WORDS = new Set(
  // "can't" and "don't" reach here as "can" "t" and "don" "t".
  (
    'a about an and any anything are as at be been but by can could did do does doing don for from get got had has ' +
    'have hello hey hi how i if im in into is it its just know let like me my need no not of on or our please s so ' +
    'some t than thank thanks that the their them then there these they this those to too us want was we were what ' +
    'when where which who why will with would you your ' +
    'explain help info information issue policy problem question questions tell thing things way'
  ).split(' '),
);

const stemmer = new StemmerEn();
/** Stems of words seen: a help center repeats a small vocabulary many thousand times. */
const stems = new Map<string, string>();
const MAX_CACHED_STEMS = 200_000;
const MAX_TERM_CHARS = 40;
const WORD = /[\p{L}\p{N}]+/gu;

/** A word as the index holds it: lower case, stemmed ("sharing" → "share"); null for a stop word. */
export function indexTerm(token: string): string | null {
  const word = token.toLowerCase();
  if (STOP_WORDS.has(word) || word.length > MAX_TERM_CHARS) return null;
  let stem = stems.get(word);
  if (stem === undefined) {
    stem = /^\p{N}/u.test(word) ? word : stemmer.stemWord(word);
    if (stems.size < MAX_CACHED_STEMS) stems.set(word, stem);
  }
  return stem;
}

/** Each index term of a text, as often as it occurs. */
function eachTerm(text: string, visit: (term: string) => void): void {
  for (const match of text.matchAll(WORD)) {
    const term = indexTerm(match[0]);
    if (term) visit(term);
  }
}

export interface PassageHit {
  passage: Passage;
  /** BM25 over the passage's fields, titles and headings weighted up. */
  score: number;
  /** How much of the question the passage covers, 0–1: matched words weighted by rarity over all its words. */
  relevance: number;
}

export interface KeywordQuery {
  /** Passages with at least one of these tags only. */
  tags?: readonly string[] | undefined;
  limit: number;
  /** Hits below this relevance are not returned. */
  minRelevance: number;
}

/** How much a word counts in each field of a passage. */
const FIELD_WEIGHTS = { title: 2, heading: 1.5, tags: 1.5, text: 1 } as const;
/** BM25's term-frequency saturation and length normalisation (the usual values). */
const BM25_K1 = 1.2;
const BM25_B = 0.75;
/** A word found only by its spelling being close ("pasword") counts for this much of an exact match. */
const CLOSE_MATCH_WEIGHT = 0.5;
/** The share of passages an unknown word is weighed as appearing in (see KeywordIndex.weight). */
const UNKNOWN_TERM_SHARE = 0.1;
/**
 * In a large help center, a word in more than this share of passages is skipped: it ranks nothing and costs the
 * most to score. (In a small one every word is scored: there it costs nothing.)
 */
const MAX_TERM_SHARE = 0.5;
const MIN_PASSAGES_TO_SKIP_COMMON_WORDS = 1_000;
/** A passage beyond this many from one article adds little: the next article is likelier to be what was meant. */
const MAX_HITS_PER_ARTICLE = 2;
/** Passages indexed between yields to the event loop, so a rebuild does not stall the bot's turns. */
const BUILD_CHUNK = 500;

interface Postings {
  passages: Int32Array;
  frequencies: Float32Array;
}

/** Start size of the build's postings buffers (they double as they fill). */
const INITIAL_POSTINGS = 1 << 16;

/**
 * Every (word, passage, frequency) of a build, in three typed arrays that double as they fill: a few large buffers,
 * which the allocator hands back to the system once freed, instead of thousands of small ones that linger.
 */
class PostingsBuffer {
  terms = new Int32Array(INITIAL_POSTINGS);
  passages = new Int32Array(INITIAL_POSTINGS);
  frequencies = new Float32Array(INITIAL_POSTINGS);
  size = 0;

  add(term: number, passage: number, frequency: number): void {
    if (this.size === this.terms.length) {
      const grow = <T extends Int32Array | Float32Array>(from: T, to: T): T => {
        to.set(from);
        return to;
      };
      this.terms = grow(this.terms, new Int32Array(this.size * 2));
      this.passages = grow(this.passages, new Int32Array(this.size * 2));
      this.frequencies = grow(this.frequencies, new Float32Array(this.size * 2));
    }
    this.terms[this.size] = term;
    this.passages[this.size] = passage;
    this.frequencies[this.size] = frequency;
    this.size++;
  }

  /** Grouped by word, in passage order within each word: one array pair for all, viewed per word. */
  byTerm(words: string[]): Map<string, Postings> {
    const counts = new Int32Array(words.length + 1);
    for (let i = 0; i < this.size; i++) counts[this.terms[i]! + 1]!++;
    for (let t = 1; t <= words.length; t++) counts[t]! += counts[t - 1]!;
    const passages = new Int32Array(this.size);
    const frequencies = new Float32Array(this.size);
    const cursor = counts.slice(0, words.length);
    for (let i = 0; i < this.size; i++) {
      const at = cursor[this.terms[i]!]!++;
      passages[at] = this.passages[i]!;
      frequencies[at] = this.frequencies[i]!;
    }
    const postings = new Map<string, Postings>();
    for (const [t, word] of words.entries())
      postings.set(word, {
        passages: passages.subarray(counts[t]!, counts[t + 1]!),
        frequencies: frequencies.subarray(counts[t]!, counts[t + 1]!),
      });
    return postings;
  }
}

/**
 * A compact inverted index over passages, scored with BM25: all postings live in two typed arrays, so 25,000
 * passages take tens of megabytes, not hundreds. Words are stemmed; a misspelt word is matched to known words one
 * edit away, and a word cut short to the words it begins.
 */
export class KeywordIndex {
  /** Scratch space for one search (searches are synchronous, so one set serves them all). */
  private readonly scores: Float64Array;
  private readonly matched: Int32Array;

  private constructor(
    readonly passages: Passage[],
    private readonly postings: Map<string, Postings>,
    private readonly lengths: Float32Array,
    private readonly averageLength: number,
    /** Every indexed word, sorted: for prefixes and close spellings. */
    private readonly vocabulary: string[],
  ) {
    this.scores = new Float64Array(passages.length);
    this.matched = new Int32Array(passages.length);
  }

  static async build(passages: Passage[]): Promise<KeywordIndex> {
    const termIds = new Map<string, number>();
    const words: string[] = [];
    const buffer = new PostingsBuffer();
    const lengths = new Float32Array(passages.length);
    const counts = new Map<number, number>();
    let length = 0;
    const counter = (weight: number) => (term: string) => {
      let id = termIds.get(term);
      if (id === undefined) {
        id = words.length;
        termIds.set(term, id);
        words.push(term);
      }
      counts.set(id, (counts.get(id) ?? 0) + weight);
      length += weight;
    };
    const fields = {
      title: counter(FIELD_WEIGHTS.title),
      heading: counter(FIELD_WEIGHTS.heading),
      tags: counter(FIELD_WEIGHTS.tags),
      text: counter(FIELD_WEIGHTS.text),
    };
    let total = 0;
    for (let start = 0; start < passages.length; start += BUILD_CHUNK) {
      const end = Math.min(passages.length, start + BUILD_CHUNK);
      for (let id = start; id < end; id++) {
        const passage = passages[id]!;
        counts.clear();
        length = 0;
        eachTerm(passage.title, fields.title);
        if (passage.heading) eachTerm(passage.heading, fields.heading);
        for (const tag of passage.tags) eachTerm(tag, fields.tags);
        eachTerm(passage.text, fields.text);
        for (const [term, frequency] of counts) buffer.add(term, id, frequency);
        lengths[id] = length;
        total += length;
      }
      await new Promise((resolve) => setImmediate(resolve));
    }
    const postings = buffer.byTerm(words);
    return new KeywordIndex(passages, postings, lengths, total / Math.max(1, passages.length), words.sort());
  }

  /**
   * Rarity of a term. A word no article holds weighs like one in a tenth of them: it is as often a generic word
   * as a sign the question is about something else, and a question only about something else finds no passage.
   */
  private weight(term: string): number {
    const n = this.passages.length;
    const frequency = this.postings.get(term)?.passages.length ?? n * UNKNOWN_TERM_SHARE;
    return Math.log(1 + n / Math.max(1, frequency));
  }

  /** The known words a query word stands for, with how much each counts: itself, or close spellings and completions. */
  private expansions(term: string): Array<[string, number]> {
    if (this.postings.has(term)) return [[term, 1]];
    return closeTerms(term, this.vocabulary).map((known) => [known, CLOSE_MATCH_WEIGHT]);
  }

  search(query: string, options: KeywordQuery): PassageHit[] {
    const terms = new Set<string>();
    eachTerm(query, (term) => terms.add(term));
    const queryTerms = [...terms].slice(0, 30);
    if (queryTerms.length === 0 || this.passages.length === 0) return [];
    const n = this.passages.length;
    const common = (df: number) => n >= MIN_PASSAGES_TO_SKIP_COMMON_WORDS && df > n * MAX_TERM_SHARE;
    const weights = queryTerms.map((term) =>
      common(this.postings.get(term)?.passages.length ?? 0) ? 0 : this.weight(term),
    );
    const totalWeight = weights.reduce((a, b) => a + b, 0);
    if (totalWeight === 0) return [];
    const { scores, matched } = this;
    const touched: number[] = [];
    for (const [q, term] of queryTerms.entries()) {
      for (const [known, factor] of this.expansions(term)) {
        const list = this.postings.get(known)!;
        const df = list.passages.length;
        if (common(df)) continue;
        const idf = Math.log(1 + (n - df + 0.5) / (df + 0.5));
        for (let i = 0; i < df; i++) {
          const id = list.passages[i]!;
          const tf = list.frequencies[i]!;
          const norm = tf + BM25_K1 * (1 - BM25_B + (BM25_B * this.lengths[id]!) / this.averageLength);
          if (matched[id] === 0) touched.push(id);
          scores[id]! += (factor * idf * (tf * (BM25_K1 + 1))) / norm;
          matched[id]! |= 1 << q;
        }
      }
    }
    const tags = options.tags && options.tags.length > 0 ? new Set(options.tags) : undefined;
    const ranked: PassageHit[] = [];
    for (const id of touched) {
      const score = scores[id]!;
      const bits = matched[id]!;
      scores[id] = 0;
      matched[id] = 0;
      const passage = this.passages[id]!;
      if (tags && !passage.tags.some((tag) => tags.has(tag))) continue;
      let covered = 0;
      for (let q = 0; q < queryTerms.length; q++) if (bits & (1 << q)) covered += weights[q]!;
      const relevance = Math.min(1, covered / totalWeight);
      if (relevance < options.minRelevance) continue;
      ranked.push({ passage, score, relevance: Math.round(relevance * 100) / 100 });
    }
    ranked.sort((a, b) => b.score - a.score);
    const hits: PassageHit[] = [];
    const perArticle = new Map<string, number>();
    for (const hit of ranked) {
      const seen = perArticle.get(hit.passage.articleId) ?? 0;
      if (seen >= MAX_HITS_PER_ARTICLE) continue;
      perArticle.set(hit.passage.articleId, seen + 1);
      hits.push(hit);
      if (hits.length >= options.limit) break;
    }
    return hits;
  }
}
