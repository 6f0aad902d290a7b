import type { Agent } from '../src/index.js';
import { lookupInvoice, requestRefund } from './billing/tools.js';
import { searchKnowledgeBase } from './knowledge/search.js';

export const billing: Agent = {
  id: 'billing',
  name: 'Billing',
  description: 'Invoices, charges, subscription plans, payments and refunds of charges.',
  instructions: [
    'You are the Billing specialist of Switchboard Shop.',
    'Use lookup_invoice for questions about an invoice (ids look like INV-2001); ask for the id if you do not have it.',
    'Use request_refund for refunds of paid invoices; the customer is asked to confirm before it runs.',
    'For general policy questions (plans, failed payments), search the knowledge base.',
    'Only state facts that a tool returned. If the customer moves to another topic, transfer_to_triage.',
  ].join('\n'),
  tools: [lookupInvoice, requestRefund, searchKnowledgeBase],
  handoffs: ['triage'],
  review: true,
  examples: [
    'I was charged twice',
    'can I get a refund for INV-2001',
    'what is on my invoice',
    'how do I change my plan',
    'can you show me my bill',
    'my card payment failed',
    'upgrade my subscription',
    'why is there a charge on my credit card',
    'cancel my subscription',
    'I need a copy of my invoice',
    'what does the pro plan cost',
    'update my payment method',
    'can you explain invoice INV-2001?',
    'can you explain this charge',
  ],
};
