import { z } from 'zod';
import {
  type AgentSettings,
  type ConfigFile,
  ConfigFileError,
  loadConfigFile,
  type McpServerSettings,
  settingOfVariable,
  settingsAsEnv,
} from './configFile.js';
import { workerProblems, workersSetting } from './ops/workers.js';
import {
  type DiscordConfig,
  discordConfig,
  type EscalationConfig,
  type SlackConfig,
  slackConfig,
} from './platformConfig.js';

export type { DiscordConfig, EscalationConfig, SlackConfig };

/** Per-agent model overrides come from variables named OPENAI_MODEL_<AGENT>, e.g. OPENAI_MODEL_TRIAGE. */
const AGENT_MODEL_PREFIX = 'OPENAI_MODEL_';

const optionalString = z
  .string()
  .trim()
  .transform((value) => (value === '' ? undefined : value))
  .optional();

/** Comma-separated agent ids; `none` is an empty list, unset is undefined (each agent's own setting). */
const agentList = optionalString.transform((v) => (v === 'none' ? [] : v?.toLowerCase().split(/[\s,]+/)));
const positiveInt = (fallback: number) => z.coerce.number().int().positive().default(fallback);

const DURATION_UNITS_MS: Record<string, number> = {
  ms: 1,
  s: 1_000,
  m: 60_000,
  min: 60_000,
  h: 3_600_000,
  d: 86_400_000,
};

/** `10m`, `90s`, `1h`, `250ms`, `90d`; a bare number is minutes. */
const duration = (fallback: string) =>
  z
    .string()
    .trim()
    .default(fallback)
    .transform((value, ctx) => {
      const match = /^(\d+(?:\.\d+)?)\s*(ms|s|min|m|h|d)?$/i.exec(value);
      if (!match) {
        ctx.addIssue({
          code: 'custom',
          message: 'must be a duration like 10m, 90s, 1h, 90d or 500ms (a bare number is minutes)',
        });
        return z.NEVER;
      }
      return Math.round(Number(match[1]) * DURATION_UNITS_MS[(match[2] ?? 'm').toLowerCase()]!);
    });

/** Where staff work: `slack:<channel id>` or `discord:<channel id>`. */
const staffChannel = z
  .string()
  .trim()
  .transform((value) => (value === '' ? undefined : value))
  .optional()
  .pipe(
    z
      .string()
      .regex(
        /^(slack:[CG][A-Z0-9]{6,}|discord:\d{15,22})$/,
        'must be slack:<channel id> (like slack:C0123ABCD) or discord:<channel id>',
      )
      .transform((value) => {
        const [platform, id] = value.split(':') as ['slack' | 'discord', string];
        return { platform, id };
      })
      .optional(),
  );

const envSchema = z
  .object({
    OPENAI_API_KEY: optionalString,
    OPENAI_BASE_URL: optionalString.pipe(z.url().optional()),
    OPENAI_MODEL: z.string().trim().min(1).default('gpt-4o-mini'),
    OPENAI_MAX_RETRIES: z.coerce.number().int().min(0).max(10).default(2),
    OPENAI_TIMEOUT_MS: positiveInt(60_000),
    OPS_PORT: z
      .string()
      .trim()
      .default('9090')
      .transform((value, ctx) => {
        if (value === 'off') return undefined;
        const port = Number(value);
        if (!Number.isInteger(port) || port < 0 || port > 65_535) {
          ctx.addIssue({ code: 'custom', message: 'must be a port number (0–65535) or off' });
          return z.NEVER;
        }
        return port;
      }),
    MODEL_BREAKER_FAILURES: positiveInt(5),
    MODEL_BREAKER_COOLDOWN_MS: positiveInt(30_000),
    MODEL_PROVIDER: z.enum(['auto', 'openai', 'offline']).default('auto'),
    STORE_URL: optionalString.pipe(
      z
        .string()
        .regex(/^(redis|rediss|sqlite):\/\//, 'must start with redis://, rediss:// or sqlite://')
        .optional(),
    ),
    DATA_DIR: z.string().trim().min(1).default('./data'),
    STORE_NAMESPACE: z
      .string()
      .trim()
      .regex(/^[\w.-]+$/, 'letters, digits, _, . and - only')
      .default('switchboard'),
    THREAD_RETENTION: duration('90d'),
    THREAD_LOCK_TTL: duration('30s').pipe(z.number().min(100, 'must be at least 100ms')),
    SHUTDOWN_DEADLINE: duration('10s'),
    WORKERS: workersSetting,
    LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).optional(),
    MAX_MODEL_CALLS_PER_TURN: positiveInt(10),
    MAX_HANDOFFS_PER_TURN: positiveInt(3),
    TOOL_TIMEOUT_MS: positiveInt(15_000),
    MAX_MESSAGE_CHARS: positiveInt(8_000),
    CONTEXT_TOKEN_BUDGET: z.coerce.number().int().min(0).default(3_000),
    CONTEXT_KEEP_MESSAGES: positiveInt(12),
    TOOL_RESULT_HISTORY_CHARS: positiveInt(1_500),
    THREAD_DAILY_TOKEN_BUDGET: z.coerce.number().int().min(0).default(0),
    THREAD_BUDGET_ACTION: z.enum(['reply', 'escalate']).default('reply'),
    REVIEWED_AGENTS: agentList,
    CHECKED_AGENTS: agentList,
    REVIEW_MAX_REVISIONS: z.coerce.number().int().min(0).max(5).default(2),
    DELEGATION: z.enum(['parallel', 'sequential']).default('parallel'),
    TRIAGE_FASTPATH: z
      .enum(['on', 'off', 'true', 'false', '1', '0'])
      .default('on')
      .transform((v) => ['on', 'true', '1'].includes(v)),
    TRIAGE_FASTPATH_THRESHOLD: z.coerce.number().min(0).max(1).default(0.9),
    SLACK_BOT_TOKEN: optionalString.pipe(z.string().startsWith('xoxb-', 'must be a bot token (xoxb-…)').optional()),
    SLACK_APP_TOKEN: optionalString.pipe(
      z.string().startsWith('xapp-', 'must be an app-level token (xapp-…)').optional(),
    ),
    SLACK_SIGNING_SECRET: optionalString,
    SLACK_PORT: z.coerce.number().int().min(0).max(65_535).default(3000),
    SLACK_API_URL: optionalString.pipe(z.url().optional()),
    SLACK_ALLOWED_CHANNELS: optionalString,
    DISCORD_BOT_TOKEN: optionalString,
    DISCORD_APPLICATION_ID: optionalString.pipe(
      z
        .string()
        .regex(/^\d{15,22}$/, 'must be a numeric application id')
        .optional(),
    ),
    DISCORD_ALLOWED_CHANNELS: optionalString,
    DISCORD_API_URL: optionalString.pipe(z.url().optional()),
    DISCORD_STAFF_ROLE_ID: optionalString.pipe(
      z
        .string()
        .regex(/^\d{15,22}$/, 'must be a numeric role id')
        .optional(),
    ),
    ESCALATION_CHANNEL: staffChannel,
    ESCALATION_REMIND_AFTER: duration('10m'),
    ESCALATION_REMIND_MENTION: optionalString,
    CONSOLE_USER_EMAIL: optionalString.pipe(z.email('must be an email address').optional()),
    KNOWLEDGE_DIR: optionalString,
    KNOWLEDGE_EMBEDDINGS_MODEL: optionalString,
    KNOWLEDGE_AGENT: optionalString.transform((v) => v?.toLowerCase()),
    KNOWLEDGE_MIN_RELEVANCE: z.coerce.number().min(0).max(1).optional(),
    KNOWLEDGE_WATCH: z
      .enum(['on', 'off', 'true', 'false', '1', '0'])
      .default('on')
      .transform((v) => ['on', 'true', '1'].includes(v)),
  })
  .superRefine((env, ctx) => {
    for (const message of workerProblems(env)) ctx.addIssue({ code: 'custom', path: ['WORKERS'], message });
    if (env.KNOWLEDGE_EMBEDDINGS_MODEL && !env.OPENAI_API_KEY && !env.OPENAI_BASE_URL) {
      ctx.addIssue({
        code: 'custom',
        path: ['KNOWLEDGE_EMBEDDINGS_MODEL'],
        message: "embeddings come from the model's endpoint: set OPENAI_API_KEY or OPENAI_BASE_URL too",
      });
    }
    const staff = env.ESCALATION_CHANNEL;
    if (staff?.platform === 'slack' && !env.SLACK_BOT_TOKEN) {
      ctx.addIssue({
        code: 'custom',
        path: ['ESCALATION_CHANNEL'],
        message: 'a Slack staff channel needs SLACK_BOT_TOKEN',
      });
    }
    if (staff?.platform === 'discord' && !env.DISCORD_BOT_TOKEN) {
      ctx.addIssue({
        code: 'custom',
        path: ['ESCALATION_CHANNEL'],
        message: 'a Discord staff channel needs DISCORD_BOT_TOKEN',
      });
    }
    if (staff?.platform === 'discord' && !env.DISCORD_STAFF_ROLE_ID) {
      ctx.addIssue({
        code: 'custom',
        path: ['DISCORD_STAFF_ROLE_ID'],
        message: 'required with a Discord staff channel: only holders of this role may claim and resolve',
      });
    }
    if (env.SLACK_BOT_TOKEN && !env.SLACK_APP_TOKEN && !env.SLACK_SIGNING_SECRET) {
      ctx.addIssue({
        code: 'custom',
        path: ['SLACK_SIGNING_SECRET'],
        message: 'required with SLACK_BOT_TOKEN unless SLACK_APP_TOKEN is set (Socket Mode)',
      });
    }
  });

export type ProviderChoice = 'openai' | 'offline';

export interface Config {
  model: {
    provider: ProviderChoice;
    /** Why this provider was picked, in words for the start-up line. */
    providerReason: string;
    apiKey: string | undefined;
    baseURL: string | undefined;
    defaultModel: string;
    /** Lower-cased agent id → model name. */
    agentModels: Record<string, string>;
    maxRetries: number;
    timeoutMs: number;
    /** Circuit breaker: consecutive outage failures that open it, and how long it stays open. */
    breaker: { failureThreshold: number; cooldownMs: number };
  };
  /** `retentionMs`: how long a thread's state is kept after its last change; undefined keeps it forever. */
  store: { url: string | undefined; dataDir: string; namespace: string; retentionMs: number | undefined };
  /** How long a thread's lock outlives a crashed holder; holders renew it every third of this. */
  lockTtlMs: number;
  /** How long SIGTERM/SIGINT wait for turns under way before leaving them to be resumed. */
  shutdownDeadlineMs: number;
  /** Bot processes sharing the load (WORKERS; 1 runs the bot in this process); more than 1 needs Redis and Slack. */
  workers: number;
  logLevel: string | undefined;
  limits: {
    maxModelCallsPerTurn: number;
    maxHandoffsPerTurn: number;
    toolTimeoutMs: number;
    maxMessageChars: number;
    parallelDelegation: boolean;
  };
  /** Compaction of long threads and the optional daily token budget per thread. */
  context: {
    tokenBudget: number;
    keepMessages: number;
    toolResultChars: number;
    dailyTokenBudget: number;
    budgetAction: 'reply' | 'escalate';
  };
  /** Grounded answers: agent ids whose replies are reviewed (undefined: as each agent declares), and the revision cap. */
  review: { agents: string[] | undefined; maxRevisions: number; checked: string[] | undefined };
  platforms: { slack: SlackConfig | undefined; discord: DiscordConfig | undefined };
  escalation: EscalationConfig;
  /** Port of /healthz, /readyz and /metrics when a platform adapter runs; undefined (OPS_PORT=off) turns them off. */
  opsPort: number | undefined;
  /** Fast-path triage in LLM mode: route a clear first message without the triage model call. */
  fastPath: { enabled: boolean; threshold: number };
  /** The terminal chat's customer: their email (whose orders they see), or undefined to play the agent pack's demo customer. */
  console: { userEmail: string | undefined };
  knowledge: KnowledgeConfig;
  /** The config file's changes to the agent pack (empty without a file), and the file's name for messages. */
  agents: { file: string | undefined; settings: Record<string, AgentSettings> };
  /** The config file's MCP servers, by name. */
  mcpServers: Record<string, McpServerSettings>;
}

/** The help center the agents search. */
export interface KnowledgeConfig {
  /** The team's folder of articles; undefined uses the agent pack's demo articles. */
  dir: string | undefined;
  /** Hybrid search with this embeddings model, through the model's OpenAI-compatible endpoint. */
  embeddingsModel: string | undefined;
  /** The agent that questions about the team's product go to (default: the agent pack's choice). */
  agent: string | undefined;
  /** Override of how much of a question a passage must cover to count as an answer (0–1). */
  minRelevance: number | undefined;
  /** Rebuild the index when files under `dir` change. */
  watch: boolean;
}

export class ConfigError extends Error {
  readonly kind = 'ConfigError';
  constructor(readonly problems: string[]) {
    super(`Invalid configuration:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
  }
}

function chooseProvider(env: z.infer<typeof envSchema>): { provider: ProviderChoice; reason: string } {
  if (env.MODEL_PROVIDER === 'offline') return { provider: 'offline', reason: 'MODEL_PROVIDER=offline' };
  if (env.MODEL_PROVIDER === 'openai') return { provider: 'openai', reason: 'MODEL_PROVIDER=openai' };
  if (env.OPENAI_API_KEY || env.OPENAI_BASE_URL) {
    return {
      provider: 'openai',
      reason: env.OPENAI_BASE_URL ? `OPENAI_BASE_URL=${env.OPENAI_BASE_URL}` : 'OPENAI_API_KEY is set',
    };
  }
  return { provider: 'offline', reason: 'neither OPENAI_API_KEY nor OPENAI_BASE_URL is set' };
}

/**
 * Parses the environment, and the config file (switchboard.yaml or SWITCHBOARD_CONFIG) under it, into one typed
 * object; throws ConfigError listing every bad variable and setting at once. A variable set in the environment
 * overrides the same setting in the file.
 */
export function loadConfig(env: NodeJS.ProcessEnv, options: { cwd?: string } = {}): Config {
  let file: ConfigFile | undefined;
  try {
    file = loadConfigFile(env, options.cwd);
  } catch (err) {
    if (err instanceof ConfigFileError) throw new ConfigError(err.problems);
    throw err;
  }
  const fromFile = settingsAsEnv(file, env);
  const parsed = envSchema.safeParse({ ...env, ...fromFile });
  if (!parsed.success) {
    const problems = parsed.error.issues.map((issue) => {
      const variable = String(issue.path[0] ?? '');
      // A value the file gave is reported where it is in the file.
      if (file && variable in fromFile) return `${file.path}: ${settingOfVariable(variable)}: ${issue.message}`;
      return `${issue.path.join('.') || '(env)'}: ${issue.message}`;
    });
    throw new ConfigError(problems);
  }
  const e = parsed.data;
  const agentModels: Record<string, string> = {};
  for (const [name, value] of Object.entries(env)) {
    if (name.startsWith(AGENT_MODEL_PREFIX) && value && value.trim() !== '') {
      agentModels[name.slice(AGENT_MODEL_PREFIX.length).toLowerCase()] = value.trim();
    }
  }
  const { provider, reason } = chooseProvider(e);
  return {
    model: {
      provider,
      providerReason: reason,
      apiKey: e.OPENAI_API_KEY,
      baseURL: e.OPENAI_BASE_URL,
      defaultModel: e.OPENAI_MODEL,
      agentModels,
      maxRetries: e.OPENAI_MAX_RETRIES,
      timeoutMs: e.OPENAI_TIMEOUT_MS,
      breaker: { failureThreshold: e.MODEL_BREAKER_FAILURES, cooldownMs: e.MODEL_BREAKER_COOLDOWN_MS },
    },
    store: {
      url: e.STORE_URL,
      dataDir: e.DATA_DIR,
      namespace: e.STORE_NAMESPACE,
      retentionMs: e.THREAD_RETENTION > 0 ? e.THREAD_RETENTION : undefined,
    },
    lockTtlMs: e.THREAD_LOCK_TTL,
    shutdownDeadlineMs: e.SHUTDOWN_DEADLINE,
    workers: e.WORKERS,
    logLevel: e.LOG_LEVEL,
    limits: {
      maxModelCallsPerTurn: e.MAX_MODEL_CALLS_PER_TURN,
      maxHandoffsPerTurn: e.MAX_HANDOFFS_PER_TURN,
      toolTimeoutMs: e.TOOL_TIMEOUT_MS,
      maxMessageChars: e.MAX_MESSAGE_CHARS,
      parallelDelegation: e.DELEGATION === 'parallel',
    },
    context: {
      tokenBudget: e.CONTEXT_TOKEN_BUDGET,
      keepMessages: e.CONTEXT_KEEP_MESSAGES,
      toolResultChars: e.TOOL_RESULT_HISTORY_CHARS,
      dailyTokenBudget: e.THREAD_DAILY_TOKEN_BUDGET,
      budgetAction: e.THREAD_BUDGET_ACTION,
    },
    review: { agents: e.REVIEWED_AGENTS, maxRevisions: e.REVIEW_MAX_REVISIONS, checked: e.CHECKED_AGENTS },
    platforms: { slack: slackConfig(e), discord: discordConfig(e) },
    opsPort: e.OPS_PORT,
    escalation: {
      channel: e.ESCALATION_CHANNEL,
      remindAfterMs: e.ESCALATION_REMIND_AFTER,
      remindMention: e.ESCALATION_REMIND_MENTION,
    },
    fastPath: { enabled: e.TRIAGE_FASTPATH, threshold: e.TRIAGE_FASTPATH_THRESHOLD },
    console: { userEmail: e.CONSOLE_USER_EMAIL?.toLowerCase() },
    knowledge: {
      dir: e.KNOWLEDGE_DIR,
      embeddingsModel: e.KNOWLEDGE_EMBEDDINGS_MODEL,
      agent: e.KNOWLEDGE_AGENT,
      minRelevance: e.KNOWLEDGE_MIN_RELEVANCE,
      watch: e.KNOWLEDGE_WATCH,
    },
    agents: { file: file?.path, settings: file?.settings.agents ?? {} },
    mcpServers: file?.settings.mcpServers ?? {},
  };
}
