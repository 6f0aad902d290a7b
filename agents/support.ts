import type { Agent, HelpCenter } from '../src/index.js';
import { searchKnowledgeBase } from './knowledge/search.js';

/** The single agent of a team with a help center and no order or billing system (KNOWLEDGE_AGENT=support). */
export const SUPPORT_AGENT_ID = 'support';

export const support = (helpCenter: HelpCenter): Agent => ({
  id: SUPPORT_AGENT_ID,
  name: 'Support',
  description: 'Questions about the product, answered from our help center.',
  instructions: [
    'You are the support assistant. You answer questions about the product from its help center.',
    'Search the help center (search_knowledge_base) for every question about the product and answer from the best passage, quoting its steps. Its sources are listed under your reply for you.',
    'When the search finds no article, say so plainly; do not answer from general knowledge. Offer a person (escalate_to_human) when you have that tool.',
    'Answer greetings and thanks briefly. Decline requests that have nothing to do with the product (the weather, poems, general knowledge) in one sentence.',
  ].join('\n'),
  tools: [searchKnowledgeBase(helpCenter, { examples: [] })],
  // Product questions in general forms: the router has nothing else to tell them from small talk or a request for a
  // person (the articles' own words reach it through the help center, see RouterOptions.helpCenter).
  examples: [
    'how do I do this',
    'how can I change a setting',
    'where do I find the option for this',
    'is it possible to turn this off',
    'why does this not work',
    'it is not working',
    'I get an error when I try',
    'I cannot find the button',
    'does it support this feature',
    'what does this message mean',
    'what happens if I delete it',
    'can I get it back',
    'how much does it cost',
    'how do I set it up',
    'it keeps failing',
    'the app is not doing what it should',
  ],
});
