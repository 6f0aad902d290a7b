import { z } from 'zod';
import {
  defineTool,
  type FactWriter,
  identityQuestion,
  isIdentityRequired,
  PERSON_OFFER,
  type RecordStore,
  withheldFrom,
} from '../../src/index.js';
import { readDataFile } from '../dataFile.js';

const orderSchema = z.object({
  id: z.string(),
  customerEmail: z.string(),
  placedAt: z.string(),
  status: z.enum(['pending_payment', 'processing', 'shipped', 'delivered', 'cancelled']),
  items: z.array(z.object({ sku: z.string(), name: z.string(), qty: z.number(), price: z.number() })),
  total: z.number(),
  carrier: z.string().optional(),
  tracking: z.string().optional(),
  estimatedDelivery: z.string().optional(),
  deliveredAt: z.string().optional(),
  cancelledAt: z.string().optional(),
});
export type Order = z.infer<typeof orderSchema>;

const ORDERS = readDataFile(new URL('./orders.json', import.meta.url), z.array(orderSchema));

/** Order ids look like ORD-1001; models and people write them in any case, with or without the dash. */
export const orderIdSchema = z
  .string()
  .trim()
  .transform((v) => v.toUpperCase().replace(/^ORD[-_ ]?/, 'ORD-'))
  .pipe(z.string().regex(/^ORD-\d{3,}$/, 'an order id looks like ORD-1001'));

/** Changes made through tools (cancellations) are stored over the shipped demo data. */
async function findOrder(records: RecordStore, id: string): Promise<Order | undefined> {
  const base = ORDERS.find((o) => o.id === id);
  if (!base) return undefined;
  const changes = await records.get<Partial<Order>>(`order:${id}`);
  return { ...base, ...changes };
}

/** What every agent (and staff, on escalation) should know once an order is looked up. */
function noteOrder(facts: FactWriter, order: Order): void {
  facts.set('order_id', order.id);
  facts.set('order_status', order.status);
  facts.set('customer_email', order.customerEmail);
  facts.set('product', order.items.map((i) => i.name).join(', '));
}

/** The returns policy, as the demo pack's returns article states it. */
const RETURN_WINDOW_DAYS = 30;
const REFUND_DAYS = '5–10';

const CANCELLABLE = new Set<Order['status']>(['pending_payment', 'processing']);

/** The order, when it can be cancelled; otherwise why not, as cancel_order's result. */
function cancellable(order_id: string, order: Order | undefined) {
  const refused = (reason: string, status?: Order['status']) => ({
    ok: false as const,
    refusal: { cancelled: false as const, order_id, status, reason },
  });
  if (!order) return refused(`No order ${order_id} exists.`);
  if (order.status === 'cancelled') return refused('The order was already cancelled.', order.status);
  if (CANCELLABLE.has(order.status)) return { ok: true as const, order };
  const what = order.status === 'delivered' ? 'been delivered' : 'shipped';
  return refused(
    `The order has already ${what}, so it cannot be cancelled. It can be returned within ${RETURN_WINDOW_DAYS} days of delivery.`,
    order.status,
  );
}

const money = (amount: number) => `$${amount.toFixed(2)}`;

function describeOrder(order: Order): string {
  const items = order.items.map((i) => `${i.name} ×${i.qty}`).join(', ');
  const where = order.carrier ? ` with ${order.carrier} (tracking ${order.tracking})` : '';
  const status: Record<Order['status'], string> = {
    pending_payment: 'is waiting for payment; it will be packed once the payment goes through.',
    processing: 'is being prepared and has not shipped yet.',
    shipped: `has shipped${where}${order.estimatedDelivery ? ` and should arrive on ${order.estimatedDelivery}` : ''}.`,
    delivered: `was delivered${order.deliveredAt ? ` on ${order.deliveredAt}` : ''}${where}.`,
    cancelled: `was cancelled${order.cancelledAt ? ` on ${order.cancelledAt.slice(0, 10)}` : ''}.`,
  };
  return `Order ${order.id} ${status[order.status]} Items: ${items}; total ${money(order.total)}.`;
}

/** "says delivered but I never got it", "hasn't arrived", "it's missing": the parcel did not reach the customer. */
const NOT_RECEIVED =
  /\b(?:never (?:got|received|arrived|came|showed)|not (?:received|arrived|here|there)|(?:did ?n[o']?t|didnt|have ?n[o']?t|havent|has ?n[o']?t|hasnt) (?:get|got|receive|arrive|come|show)\w*|missing|lost|stolen|nowhere|no sign|can'?t find)\b/i;

/** What the customer hears when an order shows as delivered, or past its date, but did not reach them. */
function missingParcelHelp(order: Order, people: boolean): string | undefined {
  const late = order.status === 'shipped' && order.estimatedDelivery !== undefined && order.estimatedDelivery < today();
  if (order.status !== 'delivered' && !late) return undefined;
  const carrier = order.carrier ?? 'the carrier';
  const check =
    order.status === 'delivered'
      ? `Sorry it hasn't reached you. Parcels marked delivered sometimes turn up a day later, or with a neighbour or in a safe place; ${carrier} can say where it was left.`
      : "Sorry it's late: it's past its expected date.";
  const next = people
    ? `If it's still missing, a person from our team can look into it with ${carrier}. ${PERSON_OFFER}`
    : `If it's still missing, contact our support team with the order id so they can look into it with ${carrier}.`;
  return `${check} ${next}`;
}

const today = () => new Date().toISOString().slice(0, 10);

const ASKS_ABOUT_CANCELLING = /\bcancel\w*/i;
const ASKS_ABOUT_RETURNING = /\b(?:return\w*|send (?:it|this|them) back|exchange)\b/i;

/**
 * What the customer asked about the order besides its status: whether it can still be cancelled, how to return it,
 * or that it never arrived. A question about an action is answered, not acted on: they say "cancel" to do it.
 */
function orderHelp(order: Order, request: string, people: boolean): string | undefined {
  if (NOT_RECEIVED.test(request)) {
    const help = missingParcelHelp(order, people);
    if (help) return help;
  }
  if (ASKS_ABOUT_CANCELLING.test(request) && order.status !== 'cancelled')
    return CANCELLABLE.has(order.status)
      ? `It hasn't shipped, so it can still be cancelled: say "cancel ${order.id}" and I'll ask you to confirm.`
      : `It has already left us, so it can no longer be cancelled, but it can be returned within ${RETURN_WINDOW_DAYS} days of delivery.`;
  if (ASKS_ABOUT_RETURNING.test(request) && (order.status === 'shipped' || order.status === 'delivered'))
    return `Unused items can be returned within ${RETURN_WINDOW_DAYS} days of delivery for a full refund to the original payment method: start a return from Orders → Return item. The refund reaches your card ${REFUND_DAYS} business days after we receive the return.`;
  return undefined;
}

export const lookupOrder = defineTool({
  name: 'lookup_order',
  status: 'Looking up your order…',
  description:
    'Look up an order by its id (like ORD-1001): status, items, total, carrier, tracking number and delivery dates.',
  input: z.object({ order_id: orderIdSchema.describe('The order id, e.g. ORD-1001') }),
  run: async ({ order_id }, { records, facts, requester }) => {
    const order = await findOrder(records, order_id);
    const withheld = withheldFrom(requester, order, `order ${order_id}`);
    if (withheld) return withheld;
    if (order) noteOrder(facts, order);
    return order
      ? { found: true as const, order }
      : { found: false as const, order_id, message: `No order ${order_id} exists.` };
  },
  examples: [
    'where is my order',
    'has my order shipped yet',
    'what is the status of ORD-1003',
    'tracking number for my package',
    'when will my order arrive',
    'my parcel has not arrived',
  ],
  answerTemplate: (result, _input, by) => {
    if (isIdentityRequired(result)) return identityQuestion('look up', result);
    if (!result.found)
      return `I couldn't find an order ${result.order_id}. Could you check the id? It looks like ORD-1001.`;
    const help = orderHelp(result.order, by.request ?? '', by.people ?? false);
    return help ? `${describeOrder(result.order)}\n\n${help}` : describeOrder(result.order);
  },
});

export const cancelOrder = defineTool({
  name: 'cancel_order',
  status: 'Cancelling your order…',
  description:
    'Cancel an order that has not shipped yet. Needs the customer to confirm; shipped orders are refused (they can be returned instead).',
  input: z.object({
    order_id: orderIdSchema.describe('The order id, e.g. ORD-1002'),
    reason: z.string().max(500).optional().describe("The customer's reason, if given"),
  }),
  needsApproval: true,
  approvalPrompt: ({ order_id }) => `Cancel order ${order_id}?`,
  // No confirmation question for an order that cannot be cancelled: the customer hears why at once.
  precheck: async ({ order_id }, { records, facts, requester }) => {
    const order = await findOrder(records, order_id);
    const withheld = withheldFrom(requester, order, `order ${order_id}`);
    if (withheld) return withheld;
    if (order) noteOrder(facts, order);
    const check = cancellable(order_id, order);
    return check.ok ? undefined : check.refusal;
  },
  run: async ({ order_id, reason }, { records, facts, requester }) => {
    const order = await findOrder(records, order_id);
    const withheld = withheldFrom(requester, order, `order ${order_id}`);
    if (withheld) return withheld;
    if (order) noteOrder(facts, order);
    const check = cancellable(order_id, order);
    if (!check.ok) return check.refusal;
    const cancelledAt = new Date().toISOString();
    await records.set(`order:${order_id}`, { status: 'cancelled', cancelledAt, cancelReason: reason });
    facts.set('order_status', 'cancelled');
    return {
      cancelled: true as const,
      order_id,
      cancelledAt,
      refund: `${money(check.order.total)} will be refunded to the original payment method within ${REFUND_DAYS} business days.`,
    };
  },
  examples: [
    'cancel my order',
    'and cancel it',
    'please cancel ORD-1002',
    "I don't want it anymore, cancel",
    'stop my order',
    'cancel the order please',
  ],
  answerTemplate: (result) => {
    if (isIdentityRequired(result)) return identityQuestion('cancel', result);
    return result.cancelled
      ? `Done: order ${result.order_id} is cancelled. ${result.refund}`
      : `I couldn't cancel order ${result.order_id}: ${result.reason}`;
  },
});
