import { type Agent, AgentRegistry, type HelpCenter } from '../src/index.js';
import { billing } from './billing.js';
import { demoHelpCenter } from './knowledge/search.js';
import { orders } from './orders.js';
import { SUPPORT_AGENT_ID, support } from './support.js';
import { technicalSupport } from './technicalSupport.js';
import { triage } from './triage.js';

/**
 * The agent pack, searching `helpCenter` (the demo articles by default); triage sends questions about the product
 * to `knowledgeAgent`. To add an agent, add it to this list.
 */
export function agentPack(
  helpCenter: HelpCenter = demoHelpCenter(),
  knowledgeAgent = DEFAULT_KNOWLEDGE_AGENT_ID,
): Agent[] {
  return [triage(helpCenter, knowledgeAgent), orders(helpCenter), technicalSupport(helpCenter), billing(helpCenter)];
}

/** Every new conversation starts with this agent. */
export const DEFAULT_AGENT_ID = 'triage';

/** The agent whose help-center answers a question about the team's product goes to, unless KNOWLEDGE_AGENT says. */
export const DEFAULT_KNOWLEDGE_AGENT_ID = 'technical_support';

/**
 * The agent pack as a registry. `knowledgeAgent` is where triage sends questions about the product; `support`
 * instead runs one Support agent that answers from the help center alone, for a team with no order or billing system.
 */
export function createAgentRegistry(
  helpCenter: HelpCenter = demoHelpCenter(),
  knowledgeAgent = DEFAULT_KNOWLEDGE_AGENT_ID,
): AgentRegistry {
  if (knowledgeAgent === SUPPORT_AGENT_ID) return new AgentRegistry([support(helpCenter)], SUPPORT_AGENT_ID);
  return new AgentRegistry(agentPack(helpCenter, knowledgeAgent), DEFAULT_AGENT_ID);
}

/** Starters offered when someone opens a new conversation (Slack's assistant pane shows up to four). */
export const suggestedPrompts = [
  { title: 'Track an order', message: 'Where is my order ORD-1001?' },
  { title: 'Cancel an order', message: 'Please cancel order ORD-1002.' },
  { title: 'Ask about a charge', message: 'Can you explain invoice INV-2001?' },
  { title: 'Report a problem', message: 'The app crashes when I upload a photo.' },
];
