import path from 'node:path';
import type { Config } from '../config.js';
import type { Logger } from '../log.js';
import { OpenAIProvider } from '../model/openaiProvider.js';
import { HelpCenter } from './helpCenter.js';

function fileSafe(name: string): string {
  return name.replace(/[^\w.-]+/g, '_');
}

/**
 * The help center a config asks for: KNOWLEDGE_DIR (watched for changes), or `fallbackDir` (the agent pack's demo
 * articles) when unset; with KNOWLEDGE_EMBEDDINGS_MODEL, hybrid search through the model's endpoint, its vectors
 * cached under DATA_DIR.
 */
export function configuredHelpCenter(config: Config, log: Logger, fallbackDir: string): HelpCenter {
  const { dir, embeddingsModel: model, minRelevance, watch } = config.knowledge;
  const endpoint = model
    ? new OpenAIProvider({
        apiKey: config.model.apiKey,
        baseURL: config.model.baseURL,
        maxRetries: config.model.maxRetries,
        timeoutMs: config.model.timeoutMs,
      })
    : undefined;
  return new HelpCenter({
    dir: dir ?? fallbackDir,
    log,
    minRelevance,
    watch: dir !== undefined && watch,
    embeddings:
      endpoint && model
        ? {
            model,
            embed: (texts) => endpoint.embed(model, texts),
            cacheFile: path.join(config.store.dataDir, 'knowledge', `embeddings-${fileSafe(model)}.jsonl`),
          }
        : undefined,
  });
}
