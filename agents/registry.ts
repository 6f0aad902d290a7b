import { type Agent, AgentRegistry } from '../src/index.js';
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

/** Starters offered when someone opens a new conversation (Slack's assistant pane shows up to four). */
export const suggestedPrompts = [
  { title: 'Track an order', message: 'Where is my order ORD-1001?' },
  { title: 'Cancel an order', message: 'Please cancel order ORD-1002.' },
  { title: 'Ask about a charge', message: 'Can you explain invoice INV-2001?' },
  { title: 'Report a problem', message: 'The app crashes when I upload a photo.' },
];
