// NLP.js ships no type declarations; these cover the part we use.
declare module '@nlpjs/core' {
  export interface Container {
    use(plugin: unknown): void;
    get(name: string): unknown;
  }
  export interface Stopwords {
    isStopword(token: string): boolean;
  }
  export function containerBootstrap(): Container;
}

declare module '@nlpjs/lang-en-min' {
  export const LangEn: unknown;
  /** Porter's stemmer for English: "sharing", "shared" → "share". */
  export class StemmerEn {
    stemWord(word: string): string;
  }
}

declare module '@nlpjs/nlu' {
  import type { Container } from '@nlpjs/core';
  export interface NluClassification {
    intent: string;
    score: number;
  }
  export class NluNeural {
    constructor(settings: Record<string, unknown>, container?: Container);
    train(corpus: Array<{ utterance: string; intent: string }>): Promise<unknown>;
    process(utterance: string): Promise<{ classifications: NluClassification[] }>;
    /** The normalized, tokenized and stemmed words of an utterance, as keys. */
    prepare(utterance: string): Promise<Record<string, number>>;
  }
}
