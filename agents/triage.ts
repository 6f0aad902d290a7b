import type { Agent, HelpCenter } from '../src/index.js';
import { searchKnowledgeBase } from './knowledge/search.js';

/** How triage describes each shipped specialist's topics; an added agent is described by its own description. */
const ROUTING_HINTS: Record<string, string> = {
  orders: 'orders, deliveries, tracking, cancellations and returns',
  technical_support: 'the app or website not working, login problems, crashes, bugs, how-to questions',
  billing: 'invoices, charges, plans, payments and refunds of charges',
};

/** Triage's instructions, with a routing line per specialist it can hand to. */
export function triageInstructions(specialists: Agent[], knowledgeAgent: string): string {
  const areas = specialists.map((agent) => agent.name).join(', ');
  return [
    'You are the front desk of customer support.',
    'Work out what the customer needs and transfer them to the right specialist as soon as the topic is clear:',
    ...specialists.map(
      (agent) => `- ${ROUTING_HINTS[agent.id] ?? agent.description.replace(/\.$/, '')} → transfer_to_${agent.id};`,
    ),
    '- a request for a person, or a complaint → escalate_to_human (when you have that tool), with the reason in a sentence.',
    `Answer greetings, thanks and "what can you do" yourself, briefly, listing what the specialists do (${areas}).`,
    'If one message asks several things for different specialists (say, an order and a login problem), consult them with the ask_<specialist> tools instead of transferring.',
    'If the request is unclear, ask one short clarifying question. Never answer specialist questions yourself and never invent order or account details.',
    `A question about using the product or its features goes to transfer_to_${knowledgeAgent}, which answers from the help center. Before you decline a message as off topic or ask a clarifying question, search the help center with search_knowledge_base: if it finds an article on it, transfer_to_${knowledgeAgent}; do not answer from the article yourself.`,
    `If the message is about something none of the specialists handle and the help center has no article on it (the weather, general knowledge, writing a poem), say in one sentence what you can help with here (${areas}), and do not answer it.`,
  ].join('\n');
}

/**
 * The front desk. It can search the help center, but only to decide: a team's articles are about its own product,
 * which the routing examples know nothing of, so a question that looks off topic may be one the articles answer.
 */
export const triage = (helpCenter: HelpCenter, knowledgeAgent: string): Agent => ({
  id: 'triage',
  name: 'Triage',
  description:
    'Front desk: greets customers, answers what the bot can do, and routes each request to the right specialist.',
  instructions: triageInstructions(
    [
      { id: 'orders', name: 'Orders', description: '', instructions: '' },
      { id: 'technical_support', name: 'Technical Support', description: '', instructions: '' },
      { id: 'billing', name: 'Billing', description: '', instructions: '' },
    ],
    knowledgeAgent,
  ),
  tools: [searchKnowledgeBase(helpCenter, { examples: [] })],
  handoffs: ['orders', 'technical_support', 'billing'],
  delegates: ['orders', 'technical_support', 'billing'],
  examples: ['hi', 'hello there', 'what can you do?', 'thanks!'],
});
