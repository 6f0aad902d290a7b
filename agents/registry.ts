import { AgentRegistry, type Agent } from '../src/index.js';
import { billing } from './billing.js';
import { orders } from './orders.js';
import { technicalSupport } from './technicalSupport.js';
import { triage } from './triage.js';

/** The agent pack. To add an agent, write its file and add it to this list. */
export const agents: Agent[] = [triage, orders, technicalSupport, billing];

/** Every new conversation starts with this agent. */
export const DEFAULT_AGENT_ID = 'triage';

export function createAgentRegistry(): AgentRegistry {
  return new AgentRegistry(agents, DEFAULT_AGENT_ID);
}
