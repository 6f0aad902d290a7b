import { loadConfig } from '../src/config.js';
import { createStore } from '../src/conversation/store.js';
import { createLogger } from '../src/log.js';
import { createApp } from '../src/main.js';
import { OpenAIProvider } from '../src/model/openaiProvider.js';
import type { ModelProvider, ModelRequest, ModelResponse, TextDeltaListener } from '../src/model/types.js';
import { checkReply, USER_TEXT, type BenchSubject } from './scenario.js';

export const MODEL_TIMEOUT_MS = 10_000;

/** Times every model call, so the turn's framework work can be told apart from model time. */
class TimedProvider implements ModelProvider {
  readonly name: string;
  ms = 0;
  calls = 0;

  constructor(private readonly inner: ModelProvider) {
    this.name = inner.name;
  }

  async complete(request: ModelRequest, onTextDelta?: TextDeltaListener): Promise<ModelResponse> {
    const started = performance.now();
    this.calls += 1;
    try {
      return await this.inner.complete(request, onTextDelta);
    } finally {
      this.ms += performance.now() - started;
    }
  }
}

export interface SwitchboardSubjectOptions {
  /** SQLite in memory instead of a file: the same store code without the disk sync on every write. */
  memoryStore?: boolean;
}

/** Our stack as `npm start` wires it (SQLite store, silent log), entered at the conversation service as adapters do. */
export function createSwitchboardSubject(baseURL: string, dataDir: string, options: SwitchboardSubjectOptions = {}): BenchSubject {
  const env = { OPENAI_API_KEY: 'sk-bench', OPENAI_BASE_URL: baseURL, OPENAI_MAX_RETRIES: '0', DATA_DIR: dataDir };
  const config = loadConfig(options.memoryStore ? { ...env, STORE_URL: 'sqlite://:memory:' } : env);
  const log = createLogger({ level: 'silent' });
  const provider = new TimedProvider(new OpenAIProvider({ apiKey: 'sk-bench', baseURL, maxRetries: 0, timeoutMs: MODEL_TIMEOUT_MS }));
  const app = createApp(config, log, provider, createStore({ ...config.store, namespace: 'bench' }, log));
  const label = options.memoryStore ? 'switchboard/mem' : 'switchboard';
  return {
    label,
    mode: `streamed chat completions (OpenAIProvider), SQLite ${options.memoryStore ? 'in memory (diagnostic)' : 'file'} store`,
    async turn(index) {
      provider.ms = 0;
      provider.calls = 0;
      const started = performance.now();
      // A listener, as every adapter passes one to render streamed text.
      const outcome = await app.service.handle({ id: `bench-msg-${index}`, thread: `bench:${label}:${index}`, userId: 'U-bench', text: USER_TEXT }, () => {});
      const wallMs = performance.now() - started;
      checkReply(label, outcome.reply, provider.calls);
      return { wallMs, modelMs: provider.ms, modelCalls: provider.calls };
    },
    close: () => app.close(),
  };
}
