import { type Config, ConfigError } from './config.js';
import type { EscalationDesk } from './escalation/desk.js';
import type { Agent, AgentRegistry } from './orchestrator/agent.js';
import type { ReviewOptions } from './orchestrator/review.js';
import { agentReview } from './orchestrator/turnRunner.js';

/* What the configuration decides for each agent and each platform, as the composition root (main.ts) wires it. */

export function modelFor(config: Config) {
  return (agent: Agent) => config.model.agentModels[agent.id] ?? agent.model ?? config.model.defaultModel;
}

/** REVIEWED_AGENTS, when set, decides which agents' replies are reviewed; otherwise each agent's own `review`. */
export function reviewFor(config: Config) {
  const { agents: listed, maxRevisions } = config.review;
  return (agent: Agent): ReviewOptions | undefined => {
    const own = agentReview(agent);
    if (listed === undefined) return own && { maxRevisions: own.maxRevisions ?? maxRevisions };
    return listed.includes(agent.id) ? { maxRevisions: own?.maxRevisions ?? maxRevisions } : undefined;
  };
}

/** CHECKED_AGENTS, when set, decides which agents' replies get the id, figure and date check; otherwise `checkFacts`. */
export function checksFactsFor(config: Config) {
  const listed = config.review.checked;
  return (agent: Agent): boolean => (listed === undefined ? agent.checkFacts === true : listed.includes(agent.id));
}

/** What one platform adapter needs for escalation: the desk, and the staff channel when it is on that platform. */
export function escalationDeps(config: Config, desk: EscalationDesk, platform: 'slack' | 'discord') {
  const staffChannel = config.escalation.channel;
  const here = staffChannel?.platform === platform;
  return {
    desk,
    staffChannel: here ? staffChannel.id : undefined,
    remindMention: here ? config.escalation.remindMention : undefined,
  };
}

/** The model line of the start-up message. */
export function describeModel(config: Config): string {
  if (config.model.provider === 'offline') {
    return `offline engine (no API key needed; ${config.model.providerReason}; set OPENAI_API_KEY or OPENAI_BASE_URL to use an LLM)`;
  }
  const fastPath = config.fastPath.enabled
    ? `fast-path triage at ${config.fastPath.threshold}`
    : 'fast-path triage off';
  return `${config.model.defaultModel} via ${config.model.baseURL ?? 'api.openai.com'} (${config.model.providerReason}; ${fastPath})`;
}

/**
 * The agent questions about the team's product go to (KNOWLEDGE_AGENT): one triage can hand to, or the default
 * agent itself when it is the only one (KNOWLEDGE_AGENT=support).
 */
export function knowledgeAgentIn(agents: AgentRegistry, id: string): Agent {
  const handoffs = agents.defaultAgent.handoffs ?? [];
  const agent = agents.get(id);
  const alone = agent?.id === agents.defaultAgentId && handoffs.length === 0;
  if (!agent || !(alone || handoffs.includes(agent.id))) {
    throw new ConfigError([
      `KNOWLEDGE_AGENT: "${id}" is not an agent triage can hand to (known: ${[...handoffs, 'support'].join(', ')})`,
    ]);
  }
  return agent;
}

/** An MCP server's env variable or header that holds a secret, by its name. */
const SECRET_NAME = /key|token|secret|password|auth|credential/i;

/** Every secret value the deployment was given: keys, tokens, and the secret env and headers of its MCP servers. */
export function secretsOf(config: Config): string[] {
  const { slack, discord } = config.platforms;
  const servers = Object.values(config.mcpServers).flatMap((server) =>
    Object.entries({ ...('env' in server ? server.env : {}), ...('headers' in server ? server.headers : {}) })
      .filter(([name]) => SECRET_NAME.test(name))
      .flatMap(([, value]) => [value, value.replace(/^(Bearer|Basic|Token)\s+/i, '')]),
  );
  return [
    config.model.apiKey,
    slack?.botToken,
    slack?.appToken,
    slack?.signingSecret,
    discord?.botToken,
    ...servers,
  ].filter((v): v is string => v !== undefined);
}
