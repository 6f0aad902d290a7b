import type { ReviewOptions } from './review.js';
import type { Tool } from './tool.js';

export interface Agent {
  /** Stable id, lower snake case; the handoff tool is `transfer_to_<id>` and state stores it. */
  id: string;
  /** Display name shown to users, e.g. "Orders". */
  name: string;
  /** One sentence on what the agent handles; it becomes the description of its handoff tool. */
  description: string;
  instructions: string;
  tools?: Tool[];
  /** Ids of the agents this one may transfer to. */
  handoffs?: string[];
  /**
   * Ids of the agents this one may consult as tools (`ask_<id>`) for messages with several requests: they run
   * side by side, each with its own context, and this agent merges their answers and keeps the conversation.
   */
  delegates?: string[];
  /**
   * A reviewer model call checks each reply against the tool results and sources it used before it is sent (see
   * review.ts): one more model round trip per reply, and the reply is not streamed.
   */
  review?: boolean | ReviewOptions;
  /**
   * Each sentence of a reply is checked for ids, figures and dates its sources lack before it goes out, and dropped
   * if it states one; the reply still streams, sentence by sentence. No model call. A reviewed reply always is.
   */
  checkFacts?: boolean;
  /** Model for this agent; OPENAI_MODEL_<ID> overrides it, OPENAI_MODEL is the fallback. */
  model?: string;
  /** Example user messages this agent handles; they train the offline router. */
  examples?: string[];
}

const AGENT_ID_PATTERN = /^[a-z][a-z0-9_]{0,40}$/;

/** The agents of one deployment, checked once at start-up so a typo fails loudly instead of mid-conversation. */
export class AgentRegistry {
  private readonly byId = new Map<string, Agent>();

  constructor(
    agents: Agent[],
    readonly defaultAgentId: string,
  ) {
    for (const agent of agents) {
      if (!AGENT_ID_PATTERN.test(agent.id)) throw new Error(`agent id "${agent.id}" must match ${AGENT_ID_PATTERN}`);
      if (this.byId.has(agent.id)) throw new Error(`agent id "${agent.id}" is registered twice`);
      this.byId.set(agent.id, agent);
    }
    if (!this.byId.has(defaultAgentId)) throw new Error(`default agent "${defaultAgentId}" is not registered`);
    for (const agent of agents) {
      const names = new Set<string>();
      for (const tool of agent.tools ?? []) {
        if (names.has(tool.name)) throw new Error(`agent "${agent.id}" has two tools named "${tool.name}"`);
        names.add(tool.name);
      }
      for (const target of agent.handoffs ?? []) {
        if (!this.byId.has(target)) throw new Error(`agent "${agent.id}" hands off to unknown agent "${target}"`);
      }
      for (const target of agent.delegates ?? []) {
        if (!this.byId.has(target) || target === agent.id)
          throw new Error(`agent "${agent.id}" consults unknown agent "${target}"`);
      }
    }
  }

  get(id: string): Agent | undefined {
    return this.byId.get(id);
  }

  get defaultAgent(): Agent {
    return this.byId.get(this.defaultAgentId)!;
  }

  all(): Agent[] {
    return [...this.byId.values()];
  }
}
