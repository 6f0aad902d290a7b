import path from 'node:path';
import { type FSWatcher, watch } from 'chokidar';
import type { Logger } from '../log.js';
import { loadArticles } from './articles.js';
import { type Embed, EmbeddingCache, VectorIndex } from './embeddings.js';
import { KeywordIndex, type PassageHit } from './keywordIndex.js';
import { type Passage, passagesOf } from './passages.js';

/**
 * How much of a question a passage must cover (its words weighted by rarity) to count as an answer. Below it
 * the search says it found nothing, and the bot says it has no article on that rather than cite an unrelated one.
 */
export const DEFAULT_MIN_RELEVANCE = 0.4;
/**
 * Among the articles an agent prefers (its tags), a passage needs only this share of the threshold: the message was
 * routed to that agent's topic already, so "my notifications stopped coming thru" (one word of the article's) is
 * enough there, though not enough to pick an article out of the whole help center.
 */
const TAGGED_RELEVANCE_SHARE = 0.6;
/** Cosine similarity at which an embedded passage counts as an answer on its own (hybrid search). */
export const DEFAULT_MIN_SIMILARITY = 0.45;
/** Changes under the folder are gathered this long before one rebuild. */
export const RELOAD_DEBOUNCE_MS = 300;
/** Passages a search returns. */
export const MAX_PASSAGES = 3;
/** Reciprocal-rank fusion's damping constant (Cormack et al.): ranks beyond the first few count for less. */
const RRF_K = 60;

export interface KnowledgeHit {
  articleId: string;
  title: string;
  url: string | undefined;
  heading: string | undefined;
  text: string;
  tags: string[];
  /** 0–1: the keyword relevance, or the embedding similarity when only that found it. */
  relevance: number;
}

export interface EmbeddingOptions {
  embed: Embed;
  model: string;
  /** The vector cache file (JSON lines). */
  cacheFile: string;
  minSimilarity?: number;
}

export interface HelpCenterOptions {
  /** The folder tree of articles. */
  dir: string;
  log: Logger;
  minRelevance?: number;
  /** Hybrid search: keyword plus embeddings through the model's endpoint. */
  embeddings?: EmbeddingOptions | undefined;
  /** Rebuild when files under `dir` change. */
  watch?: boolean;
  debounceMs?: number;
}

export interface SearchOptions {
  /** Passages with these tags are searched first; the whole help center when none of them answers. */
  preferTags?: readonly string[] | undefined;
  limit?: number;
}

interface Snapshot {
  keyword: KeywordIndex;
  vectors: VectorIndex | undefined;
  articles: number;
}

const EMAIL_OR_URL = /\b[\w.+-]+@[\w-]+(?:\.[\w-]+)+\b|\bhttps?:\/\/\S+/gi;

/**
 * The team's help center: articles loaded from a folder, split into passages and indexed. A change under the
 * folder rebuilds the index in the background and swaps it in whole; searches meanwhile use the previous one.
 */
export class HelpCenter {
  private snapshot: Snapshot | undefined;
  private readonly embeddingCache: EmbeddingCache | undefined;
  private watcher: FSWatcher | undefined;
  private debounce: NodeJS.Timeout | undefined;
  private rebuilding: Promise<void> | undefined;
  private rebuildAgain = false;
  private closed = false;
  /** Settles once the first index is built (a folder that cannot be read rejects it). */
  readonly ready: Promise<void>;
  /** Runs after each rebuild that was swapped in; tests and metrics wait on it. */
  onReload: (() => void) | undefined;

  constructor(private readonly options: HelpCenterOptions) {
    this.embeddingCache = options.embeddings && new EmbeddingCache(options.embeddings.cacheFile);
    this.ready = this.rebuild('loaded');
    // Unhandled, a failed first load would end the process before its owner reads `ready`.
    this.ready.catch(() => undefined);
    if (options.watch) this.startWatching();
  }

  get dir(): string {
    return this.options.dir;
  }

  /** Article and passage counts of the index in use. */
  get size(): { articles: number; passages: number } {
    return { articles: this.snapshot?.articles ?? 0, passages: this.snapshot?.keyword.passages.length ?? 0 };
  }

  private get minRelevance(): number {
    return this.options.minRelevance ?? DEFAULT_MIN_RELEVANCE;
  }

  /** The best passages for a question, best first; empty when nothing is relevant enough. */
  async search(question: string, options: SearchOptions = {}): Promise<KnowledgeHit[]> {
    // A first load that failed was logged; a later rebuild may still succeed, so search whatever is there.
    await this.ready.catch(() => undefined);
    // An address or a link says who is asking or where they were, not what the article is about.
    const query = question.replace(EMAIL_OR_URL, ' ');
    const limit = options.limit ?? MAX_PASSAGES;
    if (options.preferTags && options.preferTags.length > 0) {
      const tagged = await this.searchIn(query, limit, options.preferTags, this.minRelevance * TAGGED_RELEVANCE_SHARE);
      if (tagged.length > 0) return tagged;
    }
    return this.searchIn(query, limit, undefined, this.minRelevance);
  }

  /** Whether the help center surely answers this: then it goes to an agent that searches, not declined as off topic. */
  async covers(text: string): Promise<boolean> {
    await this.ready.catch(() => undefined);
    const keyword = this.snapshot?.keyword;
    if (!keyword) return false;
    const [best] = keyword.search(text.replace(EMAIL_OR_URL, ' '), { limit: 1, minRelevance: this.minRelevance });
    return best !== undefined;
  }

  private async searchIn(
    query: string,
    limit: number,
    tags: readonly string[] | undefined,
    minRelevance: number,
  ): Promise<KnowledgeHit[]> {
    const snapshot = this.snapshot;
    if (!snapshot) return [];
    const keywordHits = snapshot.keyword.search(query, { limit, tags, minRelevance });
    if (!snapshot.vectors) return keywordHits.map(hitOf);
    let vectorHits: Array<{ passage: Passage; similarity: number }>;
    try {
      vectorHits = await snapshot.vectors.search(query, limit * 2, tags && new Set(tags));
    } catch (err) {
      this.options.log.warn({ err, reason: 'answering from keyword search alone' }, 'knowledge.embeddings_failed');
      return keywordHits.map(hitOf);
    }
    const minSimilarity = this.options.embeddings?.minSimilarity ?? DEFAULT_MIN_SIMILARITY;
    return fuse(
      keywordHits,
      vectorHits.filter((hit) => hit.similarity >= minSimilarity),
    ).slice(0, limit);
  }

  private startWatching(): void {
    this.watcher = watch(this.options.dir, {
      ignoreInitial: true,
      // The bot's adapters keep the process alive; a watcher alone must not (the terminal chat ends at end of input).
      persistent: false,
      ignored: (file) => path.basename(file).startsWith('.') && file !== this.options.dir,
    });
    this.watcher.on('all', () => this.scheduleRebuild());
    this.watcher.on('error', (err) => this.options.log.warn({ err, dir: this.options.dir }, 'knowledge.watch_failed'));
  }

  private scheduleRebuild(): void {
    if (this.closed) return;
    clearTimeout(this.debounce);
    this.debounce = setTimeout(() => {
      if (this.rebuilding) this.rebuildAgain = true;
      else void this.rebuild('reloaded').catch(() => undefined);
    }, this.options.debounceMs ?? RELOAD_DEBOUNCE_MS);
  }

  /** Loads and indexes the folder, then swaps the new index in; a failure keeps the old one. */
  private rebuild(event: 'loaded' | 'reloaded'): Promise<void> {
    const { log, dir } = this.options;
    const run = (async () => {
      const started = performance.now();
      try {
        const { passages, articles, skipped } = await this.passagesIn(dir);
        for (const { file, reason } of skipped) log.warn({ dir, file, reason }, 'knowledge.file_skipped');
        const keyword = await KeywordIndex.build(passages);
        const vectors = await this.vectorsFor(passages);
        if (this.closed) return;
        this.snapshot = { keyword, vectors, articles };
        const ms = Math.round(performance.now() - started);
        log.info({ dir, articles, passages: passages.length, skipped: skipped.length, ms }, `knowledge.${event}`);
        this.onReload?.();
      } catch (err) {
        log.error({ err, dir, keeping: this.snapshot ? 'the previous index' : 'no index' }, 'knowledge.load_failed');
        throw err;
      }
    })();
    this.rebuilding = run
      .catch(() => undefined)
      .then(() => {
        this.rebuilding = undefined;
        if (this.rebuildAgain && !this.closed) {
          this.rebuildAgain = false;
          void this.rebuild('reloaded').catch(() => undefined);
        }
      });
    return run;
  }

  /** The folder's passages; the articles themselves are let go before indexing, which needs only the passages. */
  private async passagesIn(dir: string) {
    const { articles, skipped } = await loadArticles(dir);
    return { passages: articles.flatMap(passagesOf), articles: articles.length, skipped };
  }

  /** Embeddings of every passage, or undefined (keyword search alone) when off or when the endpoint fails. */
  private async vectorsFor(passages: Passage[]): Promise<VectorIndex | undefined> {
    const embeddings = this.options.embeddings;
    if (!embeddings || !this.embeddingCache) return undefined;
    try {
      const index = await VectorIndex.build(passages, embeddings.embed, embeddings.model, this.embeddingCache);
      this.options.log.info(
        { model: embeddings.model, passages: passages.length, embedded: index.embedded },
        'knowledge.embedded',
      );
      return index;
    } catch (err) {
      this.options.log.warn(
        { err, model: embeddings.model, reason: 'keyword search only until the next rebuild' },
        'knowledge.embeddings_failed',
      );
      return undefined;
    }
  }

  async close(): Promise<void> {
    this.closed = true;
    clearTimeout(this.debounce);
    await this.watcher?.close();
    this.watcher = undefined;
  }
}

function hitOf({ passage, relevance }: PassageHit): KnowledgeHit {
  return {
    articleId: passage.articleId,
    title: passage.title,
    url: passage.url,
    heading: passage.heading,
    text: passage.text,
    tags: passage.tags,
    relevance,
  };
}

/** Keyword and embedding hits in one ranking by reciprocal-rank fusion; a passage either search found counts. */
function fuse(keywordHits: PassageHit[], vectorHits: Array<{ passage: Passage; similarity: number }>): KnowledgeHit[] {
  const fused = new Map<string, { hit: KnowledgeHit; score: number }>();
  const add = (passage: Passage, rank: number, relevance: number) => {
    const entry = fused.get(passage.id);
    if (entry) {
      entry.score += 1 / (RRF_K + rank);
      entry.hit.relevance = Math.max(entry.hit.relevance, relevance);
    } else fused.set(passage.id, { hit: hitOf({ passage, score: 0, relevance }), score: 1 / (RRF_K + rank) });
  };
  for (const [rank, hit] of keywordHits.entries()) add(hit.passage, rank, hit.relevance);
  for (const [rank, hit] of vectorHits.entries()) add(hit.passage, rank, Math.round(hit.similarity * 100) / 100);
  return [...fused.values()].sort((a, b) => b.score - a.score).map((entry) => entry.hit);
}
