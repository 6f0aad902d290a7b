import {
  type Agent,
  AgentRegistry,
  type AgentSettings,
  applyAgentSettings,
  type HelpCenter,
  type Tool,
} from '../src/index.js';
import { billing } from './billing.js';
import { demoHelpCenter, SEARCH_KNOWLEDGE_BASE, searchKnowledgeBase } from './knowledge/search.js';
import { orders } from './orders.js';
import { SUPPORT_AGENT_ID, support } from './support.js';
import { technicalSupport } from './technicalSupport.js';
import { triage, triageInstructions } from './triage.js';

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

/** What a config file says about the agents (see switchboard.example.yaml), and which file said it. */
export interface PackSettings {
  file: string | undefined;
  settings: Record<string, AgentSettings>;
}

/**
 * The agent pack as a registry. `knowledgeAgent` is where triage sends questions about the product; `support`
 * instead runs one Support agent that answers from the help center alone, for a team with no order or billing system.
 * `changes` (a config file's `agents:`) change, remove and add agents; triage's routing follows its specialists.
 */
export function createAgentRegistry(
  helpCenter: HelpCenter = demoHelpCenter(),
  knowledgeAgent = DEFAULT_KNOWLEDGE_AGENT_ID,
  changes: PackSettings = { file: undefined, settings: {} },
): AgentRegistry {
  const alone = knowledgeAgent === SUPPORT_AGENT_ID;
  const shipped = alone ? [support(helpCenter)] : agentPack(helpCenter, knowledgeAgent);
  const defaultAgentId = alone ? SUPPORT_AGENT_ID : DEFAULT_AGENT_ID;
  if (Object.keys(changes.settings).length === 0) return new AgentRegistry(shipped, defaultAgentId);
  const tools = new Map<string, Tool>();
  // What `tools:` may name: every tool the full pack ships (also when the Support agent runs alone).
  for (const tool of (alone ? agentPack(helpCenter, knowledgeAgent) : shipped).flatMap((a) => a.tools ?? []))
    if (!tools.has(tool.name)) tools.set(tool.name, tool);
  const agents = applyAgentSettings(shipped, changes.settings, {
    file: changes.file ?? 'the config file',
    defaultAgentId,
    tools,
    knowledgeTool: (tags, examples) => searchKnowledgeBase(helpCenter, { tags, examples }),
    knowledgeToolName: SEARCH_KNOWLEDGE_BASE,
  });
  const front = agents.find((a) => a.id === DEFAULT_AGENT_ID);
  // Triage's routing lines name its specialists: after agents are added or removed, they are written again.
  if (front && !alone && changes.settings[DEFAULT_AGENT_ID]?.instructions === undefined) {
    const specialists = (front.handoffs ?? []).map((id) => agents.find((a) => a.id === id)!);
    front.instructions = triageInstructions(specialists, knowledgeAgent);
  }
  return new AgentRegistry(agents, defaultAgentId);
}

/** Starters offered when someone opens a new conversation (Slack's assistant pane shows up to four). */
export const suggestedPrompts = [
  { title: 'Track an order', message: 'Where is my order ORD-1001?' },
  { title: 'Cancel an order', message: 'Please cancel order ORD-1002.' },
  { title: 'Ask about a charge', message: 'Can you explain invoice INV-2001?' },
  { title: 'Report a problem', message: 'The app crashes when I upload a photo.' },
];
