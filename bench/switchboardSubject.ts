import { loadConfig } from '../src/config.js';
import { createStore } from '../src/conversation/store.js';
import { createLogger } from '../src/log.js';
import { createApp } from '../src/main.js';
import { OpenAIProvider } from '../src/model/openaiProvider.js';
import type { ModelProvider, ModelRequest, ModelResponse, TextDeltaListener } from '../src/model/types.js';
import { createMapStore } from './mapStore.js';
import { BENCH_CUSTOMER_EMAIL, type BenchSubject, checkReply, USER_TEXT } from './scenario.js';

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

/**
 * Where thread state, dedupe marks and tool records live:
 * - `sqlite-file`: as `npm start` runs by default;
 * - `sqlite-memory`: the same store code without the disk sync on each write (diagnostic);
 * - `map`: no store I/O at all, leaving only the runner's own work (diagnostic).
 */
export type BenchStoreKind = 'sqlite-file' | 'sqlite-memory' | 'map';

const STORE_DESCRIPTION: Record<BenchStoreKind, string> = {
  'sqlite-file': 'SQLite file store (the default)',
  'sqlite-memory': 'SQLite in memory (diagnostic)',
  map: 'in-process Map store, no I/O (diagnostic)',
};

/** Our stack as `npm start` wires it (silent log), entered at the conversation service as adapters do. */
export function createSwitchboardSubject(
  baseURL: string,
  dataDir: string,
  storeKind: BenchStoreKind = 'sqlite-file',
): BenchSubject {
  // Review off: the SDK has no grounding step, so both runners make the same three model calls.
  const env = {
    OPENAI_API_KEY: 'sk-bench',
    OPENAI_BASE_URL: baseURL,
    OPENAI_MAX_RETRIES: '0',
    DATA_DIR: dataDir,
    REVIEWED_AGENTS: 'none',
  };
  const config = loadConfig(storeKind === 'sqlite-memory' ? { ...env, STORE_URL: 'sqlite://:memory:' } : env);
  const log = createLogger({ level: 'silent' });
  const provider = new TimedProvider(
    new OpenAIProvider({ apiKey: 'sk-bench', baseURL, maxRetries: 0, timeoutMs: MODEL_TIMEOUT_MS }),
  );
  const store = storeKind === 'map' ? createMapStore() : createStore({ ...config.store, namespace: 'bench' }, log);
  const app = createApp(config, log, { provider, store });
  const label = storeKind === 'sqlite-file' ? 'switchboard' : `switchboard/${storeKind}`;
  return {
    label,
    mode: `streamed chat completions (OpenAIProvider), ${STORE_DESCRIPTION[storeKind]}`,
    async turn(index) {
      provider.ms = 0;
      provider.calls = 0;
      const started = performance.now();
      // A listener, as every adapter passes one to render streamed text.
      const outcome = await app.service.handle(
        {
          id: `bench-msg-${index}`,
          thread: `bench:${label}:${index}`,
          userId: 'U-bench',
          verifiedEmail: BENCH_CUSTOMER_EMAIL,
          text: USER_TEXT,
        },
        (run) => run(() => {}),
      );
      const wallMs = performance.now() - started;
      checkReply(label, outcome.reply, provider.calls);
      return { wallMs, modelMs: provider.ms, modelCalls: provider.calls };
    },
    close: () => app.close(),
  };
}
