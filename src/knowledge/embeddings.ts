import { createHash } from 'node:crypto';
import { appendFile, mkdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import type { Passage } from './passages.js';

/** Turns texts into vectors, in order: the `/embeddings` endpoint of the model's OpenAI-compatible API. */
export type Embed = (texts: string[]) => Promise<number[][]>;

/** Texts per `/embeddings` request: well under the API's 2,048 inputs and its per-request token cap. */
export const EMBED_BATCH = 64;

/** What a passage is embedded as: where it sits, then what it says. */
function embeddingText(passage: Passage): string {
  return [passage.title, passage.heading, passage.text].filter(Boolean).join('\n');
}

function contentHash(model: string, text: string): string {
  return createHash('sha256').update(model).update('\n').update(text).digest('base64url');
}

function normalized(vector: ArrayLike<number>): Float32Array {
  const out = Float32Array.from(vector);
  let norm = 0;
  for (const x of out) norm += x * x;
  norm = Math.sqrt(norm) || 1;
  for (let i = 0; i < out.length; i++) out[i]! /= norm;
  return out;
}

/**
 * Vectors on disk, one JSON line per text, keyed by a hash of the model and the text: a restart, or a rebuild after
 * one article changed, embeds only what is new. Append-only; a torn last line (a crash mid-write) is ignored.
 */
export class EmbeddingCache {
  private readonly vectors = new Map<string, Float32Array>();
  private loaded = false;

  constructor(readonly file: string) {}

  async load(): Promise<void> {
    if (this.loaded) return;
    this.loaded = true;
    let text: string;
    try {
      text = await readFile(this.file, 'utf8');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return;
      throw err;
    }
    for (const line of text.split('\n')) {
      if (line === '') continue;
      try {
        const { h, v } = JSON.parse(line) as { h: string; v: string };
        const bytes = Buffer.from(v, 'base64');
        this.vectors.set(h, new Float32Array(bytes.buffer, bytes.byteOffset, bytes.byteLength / 4).slice());
      } catch {
        // A line cut short by a crash: that text is embedded again.
      }
    }
  }

  get(hash: string): Float32Array | undefined {
    return this.vectors.get(hash);
  }

  async add(entries: Array<[string, Float32Array]>): Promise<void> {
    if (entries.length === 0) return;
    for (const [hash, vector] of entries) this.vectors.set(hash, vector);
    const lines = entries.map(
      ([h, vector]) =>
        `${JSON.stringify({ h, v: Buffer.from(vector.buffer, vector.byteOffset, vector.byteLength).toString('base64') })}\n`,
    );
    await mkdir(path.dirname(this.file), { recursive: true });
    await appendFile(this.file, lines.join(''));
  }
}

export interface VectorHit {
  passage: Passage;
  /** Cosine similarity to the question. */
  similarity: number;
}

/** Passages as unit vectors, searched by cosine similarity (a scan: 25,000 passages take a few milliseconds). */
export class VectorIndex {
  private constructor(
    private readonly passages: Passage[],
    private readonly vectors: Float32Array[],
    private readonly embed: Embed,
    /** Passages embedded by this build (the rest came from the cache). */
    readonly embedded: number,
  ) {}

  static async build(passages: Passage[], embed: Embed, model: string, cache: EmbeddingCache): Promise<VectorIndex> {
    await cache.load();
    const hashes = passages.map((p) => contentHash(model, embeddingText(p)));
    const missing = [...new Set(hashes.filter((hash) => !cache.get(hash)))];
    const textOf = new Map(passages.map((p, i) => [hashes[i]!, embeddingText(p)]));
    for (let start = 0; start < missing.length; start += EMBED_BATCH) {
      const batch = missing.slice(start, start + EMBED_BATCH);
      const vectors = await embed(batch.map((hash) => textOf.get(hash)!));
      if (vectors.length !== batch.length)
        throw new Error(`the embeddings endpoint returned ${vectors.length} vectors for ${batch.length} texts`);
      await cache.add(batch.map((hash, i) => [hash, normalized(vectors[i]!)]));
    }
    return new VectorIndex(
      passages,
      hashes.map((hash) => cache.get(hash)!),
      embed,
      missing.length,
    );
  }

  async search(query: string, limit: number, tags?: ReadonlySet<string>): Promise<VectorHit[]> {
    const [raw] = await this.embed([query]);
    if (!raw) return [];
    const q = normalized(raw);
    const hits: VectorHit[] = [];
    for (let i = 0; i < this.passages.length; i++) {
      const passage = this.passages[i]!;
      if (tags && !passage.tags.some((tag) => tags.has(tag))) continue;
      const v = this.vectors[i]!;
      if (v.length !== q.length) continue;
      let dot = 0;
      for (let d = 0; d < q.length; d++) dot += q[d]! * v[d]!;
      hits.push({ passage, similarity: dot });
    }
    return hits.sort((a, b) => b.similarity - a.similarity).slice(0, limit);
  }
}
