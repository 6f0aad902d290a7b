import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { parseDocument } from 'yaml';
import { z } from 'zod';

/** The config file read from the working directory when SWITCHBOARD_CONFIG names none. */
export const DEFAULT_CONFIG_FILE = 'switchboard.yaml';

const agentId = z.string().regex(/^[a-z][a-z0-9_]{0,40}$/, 'an agent id: lower case letters, digits and _');

const serverName = z.string().regex(/^[a-zA-Z0-9_-]{1,40}$/, 'a server name: letters, digits, _ and -');

/** Per tool name: true asks the customer to confirm before it runs, false never does (whatever its annotations say). */
const approvalOverrides = z.record(z.string(), z.boolean());

const mcpServerSchema = z.union([
  z
    .object({
      command: z.string().trim().min(1),
      args: z.array(z.string()).optional(),
      env: z.record(z.string(), z.string()).optional(),
      cwd: z.string().optional(),
      timeoutMs: z.number().int().positive().optional(),
      approval: approvalOverrides.optional(),
    })
    .strict(),
  z
    .object({
      url: z.url({ protocol: /^https?$/, error: 'must be an http(s) address' }),
      headers: z.record(z.string(), z.string()).optional(),
      timeoutMs: z.number().int().positive().optional(),
      approval: approvalOverrides.optional(),
    })
    .strict(),
]);

export type McpServerSettings = z.infer<typeof mcpServerSchema>;

/** An agent's MCP tools: every tool of a server, or a chosen few. */
const mcpReference = z.union([
  serverName,
  z.object({ server: serverName, tools: z.array(z.string().min(1)).min(1) }).strict(),
]);

export type McpReference = z.infer<typeof mcpReference>;

/** What a file may say about one agent: a shipped one it changes or removes, or a new one it adds. */
const agentSettingsSchema = z
  .object({
    /** Drops a shipped agent (and every handoff to it). */
    remove: z.boolean().optional(),
    name: z.string().trim().min(1).optional(),
    description: z.string().trim().min(1).optional(),
    instructions: z.string().trim().min(1).optional(),
    model: z.string().trim().min(1).optional(),
    examples: z.array(z.string().trim().min(1)).optional(),
    review: z.boolean().optional(),
    checkFacts: z.boolean().optional(),
    handoffs: z.array(agentId).optional(),
    delegates: z.array(agentId).optional(),
    /** The agent's tools, by name, from the tools the agent pack ships (a new agent's, or a shipped one's new set). */
    tools: z.array(z.string().trim().min(1)).optional(),
    /** Shipped tools this agent no longer has. */
    removeTools: z.array(z.string().trim().min(1)).optional(),
    /** Help-center articles with these tags are searched first by this agent. */
    knowledgeTags: z.array(z.string().trim().min(1)).optional(),
    /** Tools from the config's MCP servers. */
    mcp: z.array(mcpReference).optional(),
  })
  .strict();

export type AgentSettings = z.infer<typeof agentSettingsSchema>;

const fileSchema = z
  .object({
    mcpServers: z.record(serverName, mcpServerSchema).optional(),
    agents: z.record(agentId, agentSettingsSchema).optional(),
    knowledge: z
      .object({
        dir: z.string().trim().min(1).optional(),
        agent: agentId.optional(),
        minRelevance: z.number().min(0).max(1).optional(),
        embeddingsModel: z.string().trim().min(1).optional(),
        watch: z.boolean().optional(),
      })
      .strict()
      .optional(),
    escalation: z
      .object({
        channel: z.string().trim().min(1).optional(),
        remindAfter: z.union([z.string(), z.number()]).transform(String).optional(),
        remindMention: z.string().trim().min(1).optional(),
      })
      .strict()
      .optional(),
  })
  .strict()
  .superRefine((file, ctx) => {
    const servers = new Set(Object.keys(file.mcpServers ?? {}));
    for (const [id, agent] of Object.entries(file.agents ?? {}))
      for (const [i, ref] of (agent.mcp ?? []).entries()) {
        const server = typeof ref === 'string' ? ref : ref.server;
        if (!servers.has(server))
          ctx.addIssue({
            code: 'custom',
            path: ['agents', id, 'mcp', i],
            message: `unknown server "${server}" (mcpServers has: ${[...servers].join(', ') || 'none'})`,
          });
      }
  });

export type FileSettings = z.infer<typeof fileSchema>;

/** A config file's settings and where they came from (for error messages). */
export interface ConfigFile {
  path: string;
  settings: FileSettings;
}

/**
 * Which environment variable each file setting stands for: the variable wins where both are set, and the value
 * from the file is checked by the same rules as the variable.
 */
export const ENV_OF_SETTING = {
  'knowledge.dir': 'KNOWLEDGE_DIR',
  'knowledge.agent': 'KNOWLEDGE_AGENT',
  'knowledge.minRelevance': 'KNOWLEDGE_MIN_RELEVANCE',
  'knowledge.embeddingsModel': 'KNOWLEDGE_EMBEDDINGS_MODEL',
  'knowledge.watch': 'KNOWLEDGE_WATCH',
  'escalation.channel': 'ESCALATION_CHANNEL',
  'escalation.remindAfter': 'ESCALATION_REMIND_AFTER',
  'escalation.remindMention': 'ESCALATION_REMIND_MENTION',
} as const;

/** The file setting a variable stands for (`knowledge.dir` for KNOWLEDGE_DIR), or the variable's own name. */
export function settingOfVariable(variable: string): string {
  return Object.entries(ENV_OF_SETTING).find(([, name]) => name === variable)?.[0] ?? variable;
}

/** A config file that cannot be used: every problem, each naming the file and the place in it. */
export class ConfigFileError extends Error {
  readonly kind = 'ConfigFileError';
  constructor(readonly problems: string[]) {
    super(problems.join('\n'));
  }
}

const VARIABLE = /\$\{([A-Za-z_][A-Za-z0-9_]*)\}/g;

/** `${VAR}` in every string, from the environment; a variable that is not set is a problem at that place. */
function interpolate(value: unknown, env: NodeJS.ProcessEnv, at: string, problems: string[]): unknown {
  if (typeof value === 'string')
    return value.replace(VARIABLE, (_, name: string) => {
      const found = env[name];
      if (found === undefined) problems.push(`${at}: \${${name}} is not set in the environment`);
      return found ?? '';
    });
  if (Array.isArray(value)) return value.map((item, i) => interpolate(item, env, `${at}[${i}]`, problems));
  if (value !== null && typeof value === 'object')
    return Object.fromEntries(
      Object.entries(value).map(([key, item]) => [key, interpolate(item, env, at ? `${at}.${key}` : key, problems)]),
    );
  return value;
}

/** `agents.orders.mcp[0]` from zod's path. */
export function settingPath(parts: readonly PropertyKey[]): string {
  return parts.reduce<string>(
    (out, part) => (typeof part === 'number' ? `${out}[${part}]` : out ? `${out}.${String(part)}` : String(part)),
    '',
  );
}

/**
 * The config file: SWITCHBOARD_CONFIG, or switchboard.yaml in `cwd` when present; undefined when there is none.
 * Throws ConfigFileError listing every problem (unreadable, not YAML, unknown keys, wrong types, unset variables).
 */
export function loadConfigFile(env: NodeJS.ProcessEnv, cwd = process.cwd()): ConfigFile | undefined {
  const named = env.SWITCHBOARD_CONFIG?.trim();
  const file = path.resolve(cwd, named || DEFAULT_CONFIG_FILE);
  const shown = named || DEFAULT_CONFIG_FILE;
  if (!named && !existsSync(file)) return undefined;
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    throw new ConfigFileError([`${shown}: cannot be read (${(err as NodeJS.ErrnoException).code ?? String(err)})`]);
  }
  const document = parseDocument(text, { prettyErrors: false });
  if (document.errors.length > 0)
    throw new ConfigFileError(document.errors.map((e) => `${shown}: not valid YAML: ${e.message.split('\n')[0]}`));
  const problems: string[] = [];
  const raw = interpolate(document.toJS() ?? {}, env, '', problems);
  const parsed = fileSchema.safeParse(raw);
  // A setting whose variable is missing is reported once, for the variable, not again for being empty.
  const unset = new Set(problems.map((p) => p.slice(0, p.indexOf(': '))));
  if (!parsed.success)
    for (const issue of parsed.error.issues) {
      const at = settingPath(issue.path);
      if (!unset.has(at)) problems.push(`${at || '(top)'}: ${issue.message}`);
    }
  if (problems.length > 0) throw new ConfigFileError(problems.map((p) => `${shown}: ${p}`));
  return { path: shown, settings: parsed.data! };
}

/** The file's settings as the variables they stand for, where the environment does not set that variable itself. */
export function settingsAsEnv(file: ConfigFile | undefined, env: NodeJS.ProcessEnv): Record<string, string> {
  const out: Record<string, string> = {};
  if (!file) return out;
  for (const [setting, variable] of Object.entries(ENV_OF_SETTING)) {
    const [section, key] = setting.split('.') as [keyof typeof file.settings, string];
    const value = (file.settings[section] as Record<string, unknown> | undefined)?.[key];
    if (value === undefined || (env[variable] !== undefined && env[variable]!.trim() !== '')) continue;
    out[variable] = typeof value === 'boolean' ? (value ? 'on' : 'off') : String(value);
  }
  return out;
}
