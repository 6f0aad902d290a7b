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
  WORD.lastIndex = 0;
  for (let match = WORD.exec(text); match !== null; match = WORD.exec(text)) {
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
/** How much of a passage's relevance is its headline's (title, heading, tags) share of the question; the rest is the whole passage's. */
const HEADLINE_SHARE = 0.25;
/** Best-scored passages whose relevance is weighed; the rest rank too low to be among the few returned. */
const MAX_CANDIDATES = 50;
/** Passages indexed between yields to the event loop, so a rebuild does not stall the bot's turns. */
const BUILD_CHUNK = 500;

interface Postings {
  /** Passage numbers, ascending (16-bit while a help center has fewer than 65,536 passages). */
  passages: Int32Array | Uint16Array;
  /** Field-weighted frequencies in half units (field weights are multiples of ½). */
  frequencies: Uint16Array;
}

/**
 * The `size` best-scored passages of a search, kept in typed arrays as they are offered: a search over a large help
 * center touches tens of thousands of passages, and an object for each would be garbage by the thousand per search.
 */
class BestScores {
  private readonly ids: Int32Array;
  private readonly scores: Float64Array;
  private readonly coverages: Float64Array;
  private count = 0;
  /** Index of the lowest score kept, once full. */
  private lowest = 0;

  constructor(private readonly size: number) {
    this.ids = new Int32Array(size);
    this.scores = new Float64Array(size);
    this.coverages = new Float64Array(size);
  }

  offer(id: number, score: number, coverage: number): void {
    let at: number;
    if (this.count < this.size) at = this.count++;
    else if (score > this.scores[this.lowest]!) at = this.lowest;
    else return;
    this.ids[at] = id;
    this.scores[at] = score;
    this.coverages[at] = coverage;
    if (this.count === this.size) {
      this.lowest = 0;
      for (let i = 1; i < this.size; i++) if (this.scores[i]! < this.scores[this.lowest]!) this.lowest = i;
    }
  }

  sorted(): Array<{ id: number; score: number; coverage: number }> {
    return Array.from({ length: this.count }, (_, i) => ({
      id: this.ids[i]!,
      score: this.scores[i]!,
      coverage: this.coverages[i]!,
    })).sort((a, b) => b.score - a.score);
  }
}

/** Postings a build expects per character of passage text (a distinct word per passage every ~9 characters). */
const POSTINGS_PER_CHAR = 1 / 7;

/**
 * A build's forward index: each passage's words and their frequencies, one passage after another, in two typed
 * arrays sized up front from the text's length (growing by half when a text is denser than expected). Inverted
 * into postings at the end, it leaves no per-word buffers and little garbage behind.
 */
class ForwardIndex {
  private terms: Int32Array;
  private frequencies: Uint16Array;
  private size = 0;
  /** Where each passage's words start; the last entry is the end. */
  readonly starts: Int32Array;

  constructor(passages: number, textChars: number) {
    const capacity = Math.max(1024, Math.ceil(textChars * POSTINGS_PER_CHAR) + passages * 8);
    this.terms = new Int32Array(capacity);
    this.frequencies = new Uint16Array(capacity);
    this.starts = new Int32Array(passages + 1);
  }

  add(term: number, frequency: number): void {
    if (this.size === this.terms.length) {
      const capacity = Math.ceil(this.size * 1.5);
      const terms = new Int32Array(capacity);
      terms.set(this.terms);
      this.terms = terms;
      const frequencies = new Uint16Array(capacity);
      frequencies.set(this.frequencies);
      this.frequencies = frequencies;
    }
    this.terms[this.size] = term;
    this.frequencies[this.size] = Math.min(0xffff, Math.round(frequency * 2));
    this.size++;
  }

  endPassage(passage: number): void {
    this.starts[passage + 1] = this.size;
  }

  /** Grouped by word, in passage order within each word: one array pair for all, viewed per word. */
  inverted(words: string[], passages: number): Map<string, Postings> {
    const offsets = new Int32Array(words.length + 1);
    for (let i = 0; i < this.size; i++) offsets[this.terms[i]! + 1]!++;
    for (let t = 1; t <= words.length; t++) offsets[t]! += offsets[t - 1]!;
    const ids = passages < 0x10000 ? new Uint16Array(this.size) : new Int32Array(this.size);
    const frequencies = new Uint16Array(this.size);
    const cursor = offsets.slice(0, words.length);
    for (let passage = 0; passage < passages; passage++) {
      for (let i = this.starts[passage]!; i < this.starts[passage + 1]!; i++) {
        const at = cursor[this.terms[i]!]!++;
        ids[at] = passage;
        frequencies[at] = this.frequencies[i]!;
      }
    }
    const postings = new Map<string, Postings>();
    for (const [t, word] of words.entries())
      postings.set(word, {
        passages: ids.subarray(offsets[t]!, offsets[t + 1]!),
        frequencies: frequencies.subarray(offsets[t]!, offsets[t + 1]!),
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
  private readonly touched: Int32Array;

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
    this.touched = new Int32Array(passages.length);
  }

  static async build(passages: Passage[]): Promise<KeywordIndex> {
    const termIds = new Map<string, number>();
    const words: string[] = [];
    const buffer = new ForwardIndex(
      passages.length,
      passages.reduce((sum, p) => sum + p.text.length, 0),
    );
    const lengths = new Float32Array(passages.length);
    // A passage's word counts, by word number, in an array reused for every passage. With a Map per passage (and
    // matchAll's iterators in eachTerm), one build in two of 5,000 articles left the heap 200 MB larger.
    let counts = new Float64Array(1024);
    const seen: number[] = [];
    let length = 0;
    const counter = (weight: number) => (term: string) => {
      let id = termIds.get(term);
      if (id === undefined) {
        id = words.length;
        termIds.set(term, id);
        words.push(term);
        if (id >= counts.length) {
          const grown = new Float64Array(counts.length * 2);
          grown.set(counts);
          counts = grown;
        }
      }
      if (counts[id] === 0) seen.push(id);
      counts[id]! += weight;
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
        length = 0;
        eachTerm(passage.title, fields.title);
        if (passage.heading) eachTerm(passage.heading, fields.heading);
        for (const tag of passage.tags) eachTerm(tag, fields.tags);
        eachTerm(passage.text, fields.text);
        for (const term of seen) {
          buffer.add(term, counts[term]!);
          counts[term] = 0;
        }
        seen.length = 0;
        buffer.endPassage(id);
        lengths[id] = length;
        total += length;
      }
      await new Promise((resolve) => setImmediate(resolve));
    }
    const postings = buffer.inverted(words, passages.length);
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

  /**
   * The share of the question (by weight) in the passage's title, heading or tags. An article is about what its
   * headings say: "address" in the password article's "email address" does not make it the one about addresses.
   */
  private headlineCoverage(
    passage: Passage,
    expanded: Array<Array<[string, number]>>,
    credit: number[],
    totalWeight: number,
  ): number {
    const headline = new Set<string>();
    const add = (term: string) => headline.add(term);
    eachTerm(passage.title, add);
    if (passage.heading) eachTerm(passage.heading, add);
    for (const tag of passage.tags) eachTerm(tag, add);
    let covered = 0;
    for (const [q, terms] of expanded.entries())
      if (terms.some(([known]) => headline.has(known))) covered += credit[q]!;
    return Math.min(1, covered / totalWeight);
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
    const { touched } = this;
    let touchedCount = 0;
    const expanded = queryTerms.map((term) => this.expansions(term));
    for (const [q, terms] of expanded.entries()) {
      for (const [known, factor] of terms) {
        const list = this.postings.get(known)!;
        const df = list.passages.length;
        if (common(df)) continue;
        const idf = Math.log(1 + (n - df + 0.5) / (df + 0.5));
        for (let i = 0; i < df; i++) {
          const id = list.passages[i]!;
          const tf = list.frequencies[i]! / 2;
          const norm = tf + BM25_K1 * (1 - BM25_B + (BM25_B * this.lengths[id]!) / this.averageLength);
          if (matched[id] === 0) touched[touchedCount++] = id;
          scores[id]! += (factor * idf * (tf * (BM25_K1 + 1))) / norm;
          matched[id]! |= 1 << q;
        }
      }
    }
    // A word matched only by a close spelling or as the start of another counts for less of the question.
    const credit = expanded.map((terms, q) => weights[q]! * (terms[0]?.[1] ?? CLOSE_MATCH_WEIGHT));
    const tags = options.tags && options.tags.length > 0 ? new Set(options.tags) : undefined;
    // Relevance is at most the coverage plus the headline's share of it, so below this it cannot pass.
    const floor = (options.minRelevance - HEADLINE_SHARE) / (1 - HEADLINE_SHARE);
    const best = new BestScores(MAX_CANDIDATES);
    for (let t = 0; t < touchedCount; t++) {
      const id = touched[t]!;
      const score = scores[id]!;
      const bits = matched[id]!;
      scores[id] = 0;
      matched[id] = 0;
      if (tags && !this.passages[id]!.tags.some((tag) => tags.has(tag))) continue;
      let covered = 0;
      for (let q = 0; q < queryTerms.length; q++) if (bits & (1 << q)) covered += credit[q]!;
      const coverage = Math.min(1, covered / totalWeight);
      if (coverage >= floor) best.offer(id, score, coverage);
    }
    const candidates = best.sorted();
    const hits: PassageHit[] = [];
    const perArticle = new Map<string, number>();
    for (const { id, score, coverage } of candidates) {
      const passage = this.passages[id]!;
      const headline = this.headlineCoverage(passage, expanded, credit, totalWeight);
      const relevance = (1 - HEADLINE_SHARE) * coverage + HEADLINE_SHARE * headline;
      if (relevance < options.minRelevance) continue;
      const seen = perArticle.get(passage.articleId) ?? 0;
      if (seen >= MAX_HITS_PER_ARTICLE) continue;
      perArticle.set(passage.articleId, seen + 1);
      hits.push({ passage, score, relevance: Math.round(relevance * 100) / 100 });
      if (hits.length >= options.limit) break;
    }
    return hits;
  }
}
