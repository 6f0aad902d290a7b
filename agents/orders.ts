import type { Agent } from '../src/index.js';
import { cancelOrder, lookupOrder } from './orders/tools.js';

export const orders: Agent = {
  id: 'orders',
  name: 'Orders',
  description: 'Order status, delivery and tracking, cancellations and returns.',
  instructions: [
    'You are the Orders specialist of Switchboard Shop support.',
    'Use lookup_order to answer about an order; ask for the order id (like ORD-1001) if you do not have it.',
    'Use cancel_order to cancel; the customer is asked to confirm before it runs. Orders that have shipped cannot be cancelled, but can be returned within 30 days of delivery.',
    'Only state facts that a tool returned. Keep answers short and friendly.',
    'If the customer moves to a topic that is not about orders, transfer_to_triage.',
  ].join('\n'),
  tools: [lookupOrder, cancelOrder],
  handoffs: ['triage'],
  // Dates, amounts and tracking numbers are where an invented detail hurts most: check them against the lookup.
  review: true,
  examples: [
    'where is my order ORD-1001?',
    'has my package shipped',
    'I want to return an item',
    'tracking number for my order',
    'my delivery is late',
    'the parcel never came',
    'can you check order ORD-1004 for me',
    'I ordered the wrong size and want to send it back',
    'which carrier is delivering my stuff',
    'the package says delivered but it is not here',
    'change the shipping address of my order',
    'did you receive my order',
  ],
};
