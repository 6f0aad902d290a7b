import type { Agent } from '../src/index.js';
import { createBugReport } from './bugs/tools.js';
import { searchKnowledgeBase } from './knowledge/search.js';

export const technicalSupport: Agent = {
  id: 'technical_support',
  name: 'Technical Support',
  description: 'Problems with the app or website: login, crashes, 2FA, passwords, notifications, and bug reports.',
  instructions: [
    'You are the Technical Support specialist of Switchboard Shop.',
    'Search the knowledge base first and answer from the best article, quoting its steps. Name the article you used.',
    'If the steps do not help, offer to file a bug report with create_bug_report and give the customer the ticket id.',
    'Only state facts that a tool returned. If the customer moves to orders or billing, transfer_to_triage.',
  ].join('\n'),
  tools: [searchKnowledgeBase, createBugReport],
  handoffs: ['triage'],
  examples: [
    'the app crashes when I log in',
    "I can't log in",
    'my 2FA code is not working',
    'I forgot my password',
    'notifications stopped working',
    'the website shows an error',
    'the page will not load',
    'the app freezes on startup',
    'I never got the password reset email',
    'something is broken in the app',
    'the button does nothing when I tap it',
    'how do I delete my account',
  ],
};
