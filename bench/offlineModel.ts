import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createAgentRegistry } from '../agents/registry.js';
import { loadConfig } from '../src/config.js';
import { createLogger } from '../src/log.js';
import { type App, createApp } from '../src/main.js';
import { OfflineEngine } from '../src/model/offline/offlineEngine.js';
import type { ModelProvider, ModelRequest, ModelResponse, TextDeltaListener } from '../src/model/types.js';
import { estimateTokens } from '../src/orchestrator/compaction.js';
import { IntentRouter } from '../src/orchestrator/intentRouter.js';

/** One model call as the bench saw it. */
export interface CallRecord {
  agent: string;
  purpose: string;
  promptTokens: number;
  turn: number;
}

/**
 * The shipped agents behind a model that answers like the offline engine, takes `latencyMs` per call like a
 * remote model, and reports usage as an API would: prompt tokens counted from everything sent (system prompt,
 * messages and tool schemas, at four characters a token, the same estimate the context budget uses).
 */
export class BenchModel implements ModelProvider {
  readonly name = 'offline';
  readonly calls: CallRecord[] = [];
  turn = 0;

  private constructor(
    private readonly engine: OfflineEngine,
    private readonly latencyMs: number,
  ) {}

  static async create(latencyMs = 0): Promise<BenchModel> {
    const agents = createAgentRegistry();
    return new BenchModel(await OfflineEngine.create(agents, await IntentRouter.train(agents)), latencyMs);
  }

  async complete(request: ModelRequest, onTextDelta?: TextDeltaListener): Promise<ModelResponse> {
    if (this.latencyMs > 0) await new Promise((resolve) => setTimeout(resolve, this.latencyMs));
    const response = await this.engine.complete(request, onTextDelta);
    const sent = request.system + JSON.stringify(request.messages) + JSON.stringify(request.tools);
    const promptTokens = estimateTokens(sent);
    this.calls.push({ agent: request.agent, purpose: request.purpose ?? 'reply', promptTokens, turn: this.turn });
    const completionTokens = estimateTokens(response.text + JSON.stringify(response.toolCalls));
    return { ...response, usage: { promptTokens, completionTokens } };
  }
}

/** Our stack as `npm start` wires it with no keys (silent log, SQLite in a temp dir), on the bench model. */
export async function benchApp(
  model: BenchModel,
  env: Record<string, string> = {},
): Promise<{ app: App; close(): Promise<void> }> {
  const dataDir = mkdtempSync(path.join(os.tmpdir(), 'switchboard-bench-'));
  const app = createApp(
    loadConfig({ MODEL_PROVIDER: 'offline', DATA_DIR: dataDir, ...env }),
    createLogger({ level: 'silent' }),
    { provider: model },
  );
  return {
    app,
    close: async () => {
      await app.close();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}
