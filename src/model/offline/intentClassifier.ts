import { containerBootstrap, type Container } from '@nlpjs/core';
import { LangEn } from '@nlpjs/lang-en-min';
import { NluNeural } from '@nlpjs/nlu';
import { maskEntities } from './entities.js';

export interface TrainingExample {
  utterance: string;
  intent: string;
}

export interface Classification {
  /** The best intent, or `None` when nothing fits. */
  intent: string;
  score: number;
  ranking: Array<{ intent: string; score: number }>;
}

/** The intent NLP.js reports when an utterance matches no trained intent. */
export const NO_INTENT = 'None';

let sharedContainer: Container | undefined;

function englishContainer(): Container {
  if (!sharedContainer) {
    sharedContainer = containerBootstrap();
    sharedContainer.use(LangEn);
  }
  return sharedContainer;
}

/** A small neural intent classifier (NLP.js) over English utterances: stemmed bag of words with a None class. */
export class IntentClassifier {
  private constructor(private readonly nlu: NluNeural) {}

  static async train(examples: TrainingExample[]): Promise<IntentClassifier> {
    const nlu = new NluNeural({ locale: 'en', log: false, keepStopwords: true, useNoneFeature: true }, englishContainer());
    await nlu.train(examples.filter((e) => e.utterance.trim() !== '').map((e) => ({ utterance: maskEntities(e.utterance), intent: e.intent })));
    return new IntentClassifier(nlu);
  }

  async classify(text: string): Promise<Classification> {
    const { classifications } = await this.nlu.process(maskEntities(text));
    const ranking = classifications.filter((c) => c.score > 0).map((c) => ({ intent: c.intent, score: c.score }));
    const best = ranking[0] ?? { intent: NO_INTENT, score: 0 };
    return { intent: best.intent, score: best.score, ranking };
  }
}
