/**
 * The composition root: config → logger → store → agents → model → runner → service → adapter.
 * The only file in src/ that imports adapters/ and agents/.
 */
import dotenv from 'dotenv';
import type { Registry } from 'prom-client';
import { DEMO_CUSTOMER, DEMO_CUSTOMER_NOTICE } from '../agents/demoCustomer.js';
import { DEMO_KNOWLEDGE_DIR } from '../agents/knowledge/search.js';
import { createAgentRegistry, DEFAULT_KNOWLEDGE_AGENT_ID, suggestedPrompts } from '../agents/registry.js';
import { type Config, ConfigError, loadConfig } from './config.js';
import {
  checksFactsFor,
  describeModel,
  escalationDeps,
  knowledgeAgentIn,
  modelFor,
  reviewFor,
  secretsOf,
} from './configChoices.js';
import { loadConfigFile } from './configFile.js';
import { ConversationService } from './conversation/service.js';
import { createStore, type Store, sqlitePath } from './conversation/store.js';
import { ThreadGate } from './conversation/threadGate.js';
import { isEntryPoint } from './entryPoint.js';
import { EscalationDesk } from './escalation/desk.js';
import { extractiveSummarizer, modelSummarizer, type Summarizer } from './escalation/summary.js';
import { configuredHelpCenter } from './knowledge/configured.js';
import type { HelpCenter } from './knowledge/helpCenter.js';
import { createLogger, type Logger } from './log.js';
import { closeMcpFor, mcpDetails, mcpFor } from './mcp/configured.js';
import { CircuitBreaker } from './model/circuitBreaker.js';
import { OfflineEngine } from './model/offline/offlineEngine.js';
import { OpenAIProvider } from './model/openaiProvider.js';
import type { ModelProvider } from './model/types.js';
import { createMetrics } from './ops/metrics.js';
import { type ReadinessCheck, startOpsServer } from './ops/opsServer.js';
import { stopOnSignals } from './ops/shutdown.js';
import { serveAsWorker, superviseWorkers, workerCommand, workerNumber } from './ops/workers.js';
import type { AgentRegistry } from './orchestrator/agent.js';
import { IntentRouter } from './orchestrator/intentRouter.js';
import { TurnRunner } from './orchestrator/turnRunner.js';
import { logTelemetry, Telemetry } from './telemetry.js';

/** Who the terminal chat's customer is: CONSOLE_USER_EMAIL, or the agent pack's demo customer (and a line saying so). */
export function consoleIdentity(config: Config): { name: string; email: string; notice?: string } {
  return config.console.userEmail
    ? { name: 'you', email: config.console.userEmail }
    : { ...DEMO_CUSTOMER, notice: DEMO_CUSTOMER_NOTICE };
}

const helpCenters = new WeakMap<Config, HelpCenter>();
const registries = new WeakMap<Config, AgentRegistry>();
/** The help center of this config: the team's folder (KNOWLEDGE_DIR, watched) or the demo articles; one per config. */
export function helpCenterFor(config: Config, log: Logger): HelpCenter {
  let helpCenter = helpCenters.get(config);
  if (!helpCenter) {
    helpCenter = configuredHelpCenter(config, log, DEMO_KNOWLEDGE_DIR);
    helpCenters.set(config, helpCenter);
  }
  return helpCenter;
}

/** KNOWLEDGE_AGENT, or the agent pack's choice. */
function knowledgeAgentId(config: Config): string {
  return config.knowledge.agent ?? DEFAULT_KNOWLEDGE_AGENT_ID;
}

/** The agent pack over this config's help center; one per config, so the model and the app share its tools. */
export function agentsFor(config: Config, log: Logger): AgentRegistry {
  let agents = registries.get(config);
  if (!agents) {
    agents = createAgentRegistry(helpCenterFor(config, log), knowledgeAgentId(config), config.agents);
    knowledgeAgentIn(agents, knowledgeAgentId(config));
    const references = Object.fromEntries(
      Object.entries(config.agents.settings).flatMap(([id, settings]) => (settings.mcp ? [[id, settings.mcp]] : [])),
    );
    if (Object.keys(references).length > 0) mcpFor(config, log).servers.attach(agents, references);
    registries.set(config, agents);
  }
  return agents;
}

/**
 * The config file's problems with the agent pack, for a start-up that already failed on other settings: so every
 * problem is listed at once, not one round of fixes at a time.
 */
function agentSettingProblems(env: NodeJS.ProcessEnv): string[] {
  try {
    const file = loadConfigFile(env);
    const agents = file?.settings.agents;
    if (!file || !agents) return [];
    const knowledgeAgent = env.KNOWLEDGE_AGENT?.trim() || file.settings.knowledge?.agent || DEFAULT_KNOWLEDGE_AGENT_ID;
    createAgentRegistry(undefined, knowledgeAgent, { file: file.path, settings: agents });
    return [];
  } catch (err) {
    return err instanceof ConfigError ? err.problems : [];
  }
}

export interface App {
  service: ConversationService;
  /** The typed event stream metrics (and user code) subscribe to. */
  telemetry: Telemetry;
  /** Prometheus metrics of this app, served at /metrics. */
  metrics: Registry;
  /** Human escalation; inactive until an adapter attaches a staff room. */
  desk: EscalationDesk;
  agents: AgentRegistry;
  store: Store;
  /** Per-thread locks of this process. */
  gate: ThreadGate;
  /** Starts the background work: answering messages a crashed process left waiting, and the desk's sweep. */
  start(): void;
  close(): Promise<void>;
}

export interface AppParts {
  provider: ModelProvider;
  store?: Store;
  /** Enables fast-path triage (LLM mode) when given and switched on in config. */
  router?: IntentRouter | undefined;
}

export { escalationDeps, modelFor };

/** Wires one running bot; tests call this with their own provider and store. */
export function createApp(config: Config, log: Logger, parts: AppParts): App {
  const agents = agentsFor(config, log);
  const helpCenter = helpCenterFor(config, log);
  const store = parts.store ?? createStore(config.store, log);
  const fastPath =
    parts.router && config.fastPath.enabled
      ? { router: parts.router, threshold: config.fastPath.threshold }
      : undefined;
  const telemetry = new Telemetry();
  logTelemetry(telemetry, log);
  const gate = new ThreadGate({
    locks: store.locks,
    lockTtlMs: config.lockTtlMs,
    log,
    onWait: (thread) => telemetry.emit({ type: 'lock.wait', thread }),
  });
  const metrics = createMetrics(telemetry, { inboxDepth: () => gate.queue.total() });
  const agentName = (id: string) => agents.get(id)?.name ?? id;
  const summarize: Summarizer =
    parts.provider.name === 'offline'
      ? extractiveSummarizer
      : modelSummarizer(parts.provider, config.model.defaultModel, log);
  const desk = new EscalationDesk({
    store,
    gate,
    summarize,
    remindAfterMs: config.escalation.remindAfterMs,
    threadRetentionMs: config.store.retentionMs,
    defaultAgentId: agents.defaultAgentId,
    agentName,
    log,
    telemetry,
  });
  const runner = new TurnRunner({
    agents,
    provider: parts.provider,
    records: store.records,
    limits: config.limits,
    log,
    modelFor: modelFor(config),
    fastPath,
    escalation: () => desk.enabled,
    telemetry,
    context: { ...config.context, summaries: parts.provider.name === 'offline' ? 'extractive' : 'model' },
    reviewFor: reviewFor(config),
    checksFacts: checksFactsFor(config),
  });
  const service = new ConversationService({
    store,
    runner,
    defaultAgentId: agents.defaultAgentId,
    agentName,
    maxMessageChars: config.limits.maxMessageChars,
    threadRetentionMs: config.store.retentionMs,
    log,
    gate,
    recoveryIntervalMs: Math.max(100, Math.floor(config.lockTtlMs / 2)),
    escalations: desk,
    telemetry,
  });
  return {
    service,
    telemetry,
    metrics,
    desk,
    agents,
    store,
    gate,
    start: () => {
      service.startRecovery();
      desk.start();
    },
    close: async () => {
      service.stopRecovery();
      await desk.stop();
      await service.drain();
      await store.close();
      await helpCenter.close();
      await closeMcpFor(config);
    },
  };
}

/** Trains the intent router, then builds the configured model: the OpenAI-compatible provider or the offline engine. */
export async function createModel(
  config: Config,
  log: Logger,
): Promise<{ provider: ModelProvider; router: IntentRouter }> {
  const agents = agentsFor(config, log);
  // The offline engine learns the agents' tools when it is built: the MCP servers' tools must be listed by then.
  if (Object.keys(config.mcpServers).length > 0) await mcpFor(config, log).ready;
  const router = await IntentRouter.train(agents, {
    helpCenter: helpCenterFor(config, log),
    knowledgeAgent: knowledgeAgentIn(agents, knowledgeAgentId(config)),
  });
  log.info({ ms: Math.round(router.trainingMs) }, 'router.trained');
  if (config.model.provider === 'offline') return { provider: await OfflineEngine.create(agents, router), router };
  const openai = new OpenAIProvider({
    apiKey: config.model.apiKey,
    baseURL: config.model.baseURL,
    maxRetries: config.model.maxRetries,
    timeoutMs: config.model.timeoutMs,
  });
  return { provider: new CircuitBreaker(openai, { ...config.model.breaker, log }), router };
}

async function main(): Promise<number> {
  dotenv.config({ quiet: true });
  let config: Config;
  try {
    config = loadConfig(process.env);
  } catch (err) {
    if (err instanceof ConfigError) {
      process.stderr.write(`${new ConfigError([...err.problems, ...agentSettingProblems(process.env)]).message}\n`);
      return 2;
    }
    throw err;
  }
  const { slack, discord } = config.platforms;
  const platformMode = slack !== undefined || discord !== undefined;
  // In the terminal chat, logs go to stderr at warn level so the conversation on stdout stays readable.
  const logToStderr = !platformMode;
  const rootLog = createLogger({
    level: config.logLevel ?? (platformMode ? 'info' : 'warn'),
    destination: logToStderr ? process.stderr : process.stdout,
    pretty: logToStderr ? process.stderr.isTTY : process.stdout.isTTY,
    secrets: secretsOf(config),
  });
  const worker = workerNumber(process.env);
  const log = worker ? rootLog.child({ worker }) : rootLog;
  // A library promise nobody awaits (e.g. a failed Socket Mode reconnect) would end the process silently on Node 20;
  // say why, and exit non-zero so the supervisor restarts the bot instead of leaving it deaf.
  process.on('unhandledRejection', (err) => {
    log.fatal({ err }, 'process.unhandled_rejection');
    process.exit(1);
  });
  if (config.workers > 1 && worker === undefined) {
    const { workers, opsPort, shutdownDeadlineMs } = config;
    const command = workerCommand(import.meta.url);
    return superviseWorkers({ workers, command, opsPort, shutdownDeadlineMs, log });
  }

  let model: Awaited<ReturnType<typeof createModel>>;
  try {
    model = await createModel(config, log);
    await helpCenterFor(config, log).ready;
  } catch (err) {
    if (err instanceof ConfigError) {
      process.stderr.write(`${err.message}\n`);
      return 2;
    }
    if (config.knowledge.dir !== undefined) {
      const code = (err as NodeJS.ErrnoException).code;
      process.stderr.write(
        `Invalid configuration:\n  - KNOWLEDGE_DIR: cannot read ${config.knowledge.dir} (${code ?? String(err)})\n`,
      );
      return 2;
    }
    throw err;
  }
  const { provider, router } = model;
  const helpCenter = helpCenterFor(config, log);
  const knowledge = `${helpCenter.size.articles} help-center articles from ${config.knowledge.dir ?? 'the demo pack'}`;
  const app = createApp(config, log, { provider, router: config.model.provider === 'openai' ? router : undefined });
  const where = app.store.kind === 'redis' ? 'Redis' : sqlitePath(config.store);
  const stoppers: Array<() => Promise<void>> = [];

  stopOnSignals(app, stoppers, config.shutdownDeadlineMs, log);

  if (platformMode) {
    const staffChannel = config.escalation.channel;
    const started: Record<string, unknown> = {
      model: describeModel(config),
      store: where,
      escalation: staffChannel ? `${staffChannel.platform}:${staffChannel.id}` : 'off',
      knowledge,
    };
    const escalation = (platform: 'slack' | 'discord') => escalationDeps(config, app.desk, platform);
    if (!staffChannel)
      log.warn(
        { reason: 'ESCALATION_CHANNEL is not set, so the bot cannot hand conversations to people' },
        'escalation.off',
      );
    const checks: ReadinessCheck[] = [{ name: 'store', check: () => app.store.ping().then(() => true) }];
    if (slack) {
      // Each platform's library is loaded only where it is used (discord.js alone is about 20 MB).
      const { createSlackAdapter } = await import('../adapters/slack/index.js');
      const adapter = createSlackAdapter(slack, app.service, {
        log,
        suggestedPrompts,
        escalation: escalation('slack'),
      });
      stoppers.push(() => adapter.stop());
      checks.push({ name: 'slack', check: () => adapter.ready() });
      const { port } = await adapter.start();
      Object.assign(started, { slack: slack.mode, port });
    }
    // Discord sends a bot's events to one gateway connection: the first worker holds it.
    if (discord && (worker ?? 1) === 1) {
      const { createDiscordAdapter } = await import('../adapters/discord/index.js');
      const adapter = createDiscordAdapter(discord, app.service, { log, escalation: escalation('discord') });
      stoppers.push(() => adapter.stop());
      checks.push({ name: 'discord', check: () => adapter.ready() });
      await adapter.start();
      started.discord = true;
    }
    if (config.opsPort !== undefined && worker === undefined) {
      try {
        const ops = await startOpsServer({
          port: config.opsPort,
          registry: app.metrics,
          checks,
          log,
          details: () => mcpDetails(config, log),
        });
        stoppers.push(() => ops.close());
        started.ops = ops.port;
      } catch (err) {
        // Customers come first: the bot answers without its ops endpoints rather than not at all.
        const reason = `${(err as NodeJS.ErrnoException).code ?? 'error'} on port ${config.opsPort}: /healthz, /readyz and /metrics are off; set OPS_PORT to a free port, or to off`;
        log.error({ err, port: config.opsPort, reason }, 'ops.listen_failed');
        started.ops = 'off';
      }
    }
    app.start();
    if (worker) serveAsWorker(checks, app.metrics);
    log.info(started, 'switchboard.started');
    // Runs until a signal arrives.
    return new Promise<number>(() => {});
  }

  const interactive = Boolean(process.stdin.isTTY);
  process.stdout.write(
    `Switchboard: model ${describeModel(config)}; threads stored in ${where}; ${knowledge}.${interactive ? ' Type /help for commands, /quit to leave.' : ''}\n`,
  );
  const { createConsoleAdapter } = await import('../adapters/console/index.js');
  const chat = createConsoleAdapter(
    {
      input: process.stdin,
      output: process.stdout,
      interactive,
      desk: app.desk,
      memory: app.store.records,
      identity: consoleIdentity(config),
    },
    app.service,
  );
  app.start();
  await chat.run();
  await app.close();
  return 0;
}

if (isEntryPoint(import.meta.url)) {
  main().then(
    (code) => process.exit(code),
    (err: unknown) => {
      process.stderr.write(`Switchboard failed to start: ${err instanceof Error ? err.message : String(err)}\n`);
      process.exit(1);
    },
  );
}
