import { maskEntities } from './entities.js';
import { type Classification, IntentClassifier, NO_INTENT, type TrainingExample } from './intentClassifier.js';

/**
 * How much each kind of feature weighs, after each kind is scaled to unit length: the stemmed words carry the
 * meaning, word pairs tell "order status" from "status page", and the letters inside words let a misspelling
 * ("delivry", "pasword", "refnd") share most of its features with the word it misspells.
 */
const FEATURE_WEIGHTS = { word: 1, pair: 0.5, letters: 0.6 } as const;
/** Letter n-grams are taken of words this long or longer: shorter ones are too common to say anything. */
const MIN_LETTERS_WORD = 4;
const LETTER_N = 4;

const EPOCHS = 40;
const LEARNING_RATE = 0.3;
/** The learning rate falls as 1 / (1 + epoch × this): big steps first, fine ones last. */
const LEARNING_RATE_DECAY = 0.1;
/** L2 weight decay per step: keeps a single rare word from deciding a message alone. */
const DECAY = 1e-4;

/** A message's features: indices into the weights, and each one's value (typed arrays: training walks them often). */
interface Features {
  indices: Int32Array;
  values: Float64Array;
}

function featuresOf(entries: Array<[number, number]>): Features {
  return { indices: Int32Array.from(entries.map(([i]) => i)), values: Float64Array.from(entries.map(([, v]) => v)) };
}

/** A small deterministic generator, so training (and so routing) is the same on every start. */
function seededRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state * 1664525 + 1013904223) >>> 0;
    return state / 2 ** 32;
  };
}

function addGroup(into: Map<string, number>, names: string[], weight: number): void {
  const unique = [...new Set(names)];
  if (unique.length === 0) return;
  const value = weight / Math.sqrt(unique.length);
  for (const name of unique) into.set(name, value);
}

/**
 * A multinomial logistic regression over stemmed words, word pairs and letter 4-grams, trained at start-up in a few
 * hundred milliseconds and classifying in well under one. It replaced NLP.js's network for routing, which sees
 * stemmed words only: a misspelt word was unknown to it, and a message made of unknown words was "None".
 */
export class LinearClassifier {
  private constructor(
    private readonly tokenizer: IntentClassifier,
    private readonly featureIndex: Map<string, number>,
    private readonly intents: string[],
    private readonly weights: Float64Array[],
    private readonly bias: Float64Array,
  ) {}

  static async train(examples: TrainingExample[]): Promise<LinearClassifier> {
    const words = IntentClassifier.wordsOnly();
    const intents = [...new Set(examples.map((e) => e.intent))];
    const featureIndex = new Map<string, number>();
    const rows: Array<{ features: Features; intent: number }> = [];
    for (const { utterance, intent } of examples) {
      if (utterance.trim() === '') continue;
      const entries: Array<[number, number]> = [];
      for (const [name, value] of LinearClassifier.namedFeatures(await words.words(utterance), utterance)) {
        if (!featureIndex.has(name)) featureIndex.set(name, featureIndex.size);
        entries.push([featureIndex.get(name)!, value]);
      }
      rows.push({ features: featuresOf(entries), intent: intents.indexOf(intent) });
    }
    const weights = intents.map(() => new Float64Array(featureIndex.size));
    const bias = new Float64Array(intents.length);
    const random = seededRandom(42);
    const order = rows.map((_, i) => i);
    const probabilities = new Float64Array(intents.length);
    for (let epoch = 0; epoch < EPOCHS; epoch++) {
      for (let i = order.length - 1; i > 0; i--) {
        const j = Math.floor(random() * (i + 1));
        [order[i], order[j]] = [order[j]!, order[i]!];
      }
      const rate = LEARNING_RATE / (1 + epoch * LEARNING_RATE_DECAY);
      for (const r of order) {
        const { features, intent } = rows[r]!;
        const { indices, values } = features;
        LinearClassifier.softmax(weights, bias, features, probabilities);
        for (let c = 0; c < intents.length; c++) {
          const gradient = probabilities[c]! - (c === intent ? 1 : 0);
          const w = weights[c]!;
          for (let f = 0; f < indices.length; f++) {
            const index = indices[f]!;
            w[index] = w[index]! * (1 - DECAY) - rate * gradient * values[f]!;
          }
          bias[c] = bias[c]! - rate * gradient;
        }
      }
    }
    return new LinearClassifier(words, featureIndex, intents, weights, bias);
  }

  private static softmax(weights: Float64Array[], bias: Float64Array, features: Features, out: Float64Array): void {
    let max = -Infinity;
    for (let c = 0; c < weights.length; c++) {
      let sum = bias[c]!;
      const w = weights[c]!;
      for (let f = 0; f < features.indices.length; f++) sum += w[features.indices[f]!]! * features.values[f]!;
      out[c] = sum;
      if (sum > max) max = sum;
    }
    let total = 0;
    for (let c = 0; c < weights.length; c++) {
      out[c] = Math.exp(out[c]! - max);
      total += out[c]!;
    }
    for (let c = 0; c < weights.length; c++) out[c] = out[c]! / total;
  }

  private static namedFeatures(stems: string[], text: string): Map<string, number> {
    // Ids and addresses say which record, not which intent: their letters are no feature ("maya.chen@…" is no topic).
    const raw = (
      maskEntities(text)
        .toLowerCase()
        .match(/[\p{L}\p{N}']+/gu) ?? []
    ).map((w) => w.replace(/'/g, ''));
    const named = new Map<string, number>();
    addGroup(
      named,
      stems.map((s) => `w:${s}`),
      FEATURE_WEIGHTS.word,
    );
    addGroup(
      named,
      stems.slice(1).map((s, i) => `p:${stems[i]}_${s}`),
      FEATURE_WEIGHTS.pair,
    );
    const letters = raw
      .filter((w) => w.length >= MIN_LETTERS_WORD)
      .flatMap((w) => {
        const padded = `<${w}>`;
        return Array.from({ length: padded.length - LETTER_N + 1 }, (_, i) => `l:${padded.slice(i, i + LETTER_N)}`);
      });
    addGroup(named, letters, FEATURE_WEIGHTS.letters);
    return named;
  }

  /** The stemmed words of a text (see IntentClassifier.words). */
  words(text: string, options?: { content?: boolean }): Promise<string[]> {
    return this.tokenizer.words(text, options);
  }

  contentOf(words: string[]): string[] {
    return this.tokenizer.contentOf(words);
  }

  /** The classification of a text, with the stemmed words it was made from (the router needs both). */
  async read(text: string): Promise<{ classification: Classification; words: string[] }> {
    const words = await this.tokenizer.words(text);
    return { classification: this.classifyWords(words, text), words };
  }

  private classifyWords(stems: string[], text: string): Classification {
    const entries: Array<[number, number]> = [];
    for (const [name, value] of LinearClassifier.namedFeatures(stems, text)) {
      const index = this.featureIndex.get(name);
      if (index !== undefined) entries.push([index, value]);
    }
    const features = featuresOf(entries);
    // Nothing it was trained on ("okta", "SSO"): no intent at all, so the router may still ask the help center.
    if (entries.length === 0) return { intent: NO_INTENT, score: 0, ranking: [] };
    const probabilities = new Float64Array(this.intents.length);
    LinearClassifier.softmax(this.weights, this.bias, features, probabilities);
    const ranking = this.intents
      .map((intent, c) => ({ intent, score: probabilities[c]! }))
      .sort((a, b) => b.score - a.score);
    return { intent: ranking[0]!.intent, score: ranking[0]!.score, ranking };
  }
}
