import { z } from 'zod';
import {
  defineTool,
  identityQuestion,
  isIdentityRequired,
  PERSON_OFFER,
  type RecordStore,
  withheldFrom,
} from '../../src/index.js';
import { readDataFile } from '../dataFile.js';

const invoiceSchema = z.object({
  id: z.string(),
  customerEmail: z.string(),
  issuedAt: z.string(),
  plan: z.string(),
  amount: z.number(),
  currency: z.string(),
  status: z.enum(['open', 'paid', 'overdue', 'refunded']),
  paidAt: z.string().optional(),
  dueAt: z.string().optional(),
  refundedAt: z.string().optional(),
});
type Invoice = z.infer<typeof invoiceSchema>;

const INVOICES = readDataFile(new URL('./invoices.json', import.meta.url), z.array(invoiceSchema));

export const invoiceIdSchema = z
  .string()
  .trim()
  .transform((v) => v.toUpperCase().replace(/^INV[-_ ]?/, 'INV-'))
  .pipe(z.string().regex(/^INV-\d{3,}$/, 'an invoice id looks like INV-2001'));

async function findInvoice(records: RecordStore, id: string): Promise<Invoice | undefined> {
  const base = INVOICES.find((i) => i.id === id);
  if (!base) return undefined;
  return { ...base, ...(await records.get<Partial<Invoice>>(`invoice:${id}`)) };
}

/** "charged twice", "double charge", "two payments": the customer sees more charges than invoices. */
const CHARGED_TWICE =
  /\b(?:twice|double(?:d)?|duplicate\w*|two (?:charges|payments|transactions)|charged (?:again|2x|two times)|2x|two times)\b/i;

/** What the customer hears when they see two charges for an invoice our records show as paid. */
function doubleChargeHelp(invoice: Invoice, people: boolean): string | undefined {
  if (invoice.status !== 'paid') return undefined;
  const check = `Our records show ${invoice.id} as paid on ${invoice.paidAt}.`;
  const next = people
    ? `If your statement shows a second charge for it, a person from our billing team can trace it and refund a duplicate. ${PERSON_OFFER}`
    : 'If your statement shows a second charge for it, contact our billing team with the date and amount of both charges so they can trace it.';
  return `${check} ${next}`;
}

const ASKS_ABOUT_REFUND = /\b(?:refund\w*|money back|reimburs\w*)\b/i;

/** The last day a paid invoice can be refunded (in the look-up's result, so an answer may quote it). */
function refundableUntil(invoice: Invoice): string | undefined {
  if (invoice.status !== 'paid' || !invoice.paidAt) return undefined;
  return new Date(Date.parse(invoice.paidAt) + REFUND_WINDOW_DAYS * DAY_MS).toISOString().slice(0, 10);
}

/** Whether the invoice can be refunded, for a customer who asked: a question is answered, not acted on. */
function refundHelp(invoice: Invoice, until: string | undefined, people: boolean): string | undefined {
  if (until === undefined) return undefined;
  if (refundable(invoice.id, invoice).ok)
    return `It can be refunded until ${until}: say "refund ${invoice.id}" and I'll ask you to confirm.`;
  const offer = people ? ` ${PERSON_OFFER}` : '';
  return `It could be refunded until ${until}, so I can't refund it here, but a person can review exceptions.${offer}`;
}

export const lookupInvoice = defineTool({
  name: 'lookup_invoice',
  status: 'Looking up your invoice…',
  description: 'Look up an invoice by id (like INV-2001): plan, amount, status and dates.',
  input: z.object({ invoice_id: invoiceIdSchema.describe('The invoice id, e.g. INV-2001') }),
  run: async ({ invoice_id }, { records, facts, requester }) => {
    const invoice = await findInvoice(records, invoice_id);
    const withheld = withheldFrom(requester, invoice, `invoice ${invoice_id}`);
    if (withheld) return withheld;
    if (invoice) {
      facts.set('invoice_id', invoice.id);
      facts.set('plan', invoice.plan);
    }
    return invoice
      ? { found: true as const, invoice, refundableUntil: refundableUntil(invoice) }
      : { found: false as const, invoice_id, message: `No invoice ${invoice_id} exists.` };
  },
  examples: [
    'what is on my invoice',
    'show me invoice INV-2001',
    'can you explain invoice INV-2001',
    'explain this invoice to me',
    'is my invoice paid',
    'why was I charged',
    'how much is my bill',
    'I was charged twice',
  ],
  answerTemplate: (result, _input, by) => {
    if (isIdentityRequired(result)) return identityQuestion('look up', result);
    if (!result.found)
      return `I couldn't find an invoice ${result.invoice_id}. Could you check the id? It looks like INV-2001.`;
    const i = result.invoice;
    const when =
      i.status === 'paid'
        ? `paid on ${i.paidAt}`
        : i.status === 'refunded'
          ? `refunded on ${i.refundedAt}`
          : `${i.status}, due ${i.dueAt}`;
    const described = `Invoice ${i.id} (${i.plan}, issued ${i.issuedAt}) is for ${i.amount.toFixed(2)} ${i.currency} and is ${when}.`;
    const request = by.request ?? '';
    const help = CHARGED_TWICE.test(request)
      ? doubleChargeHelp(i, by.people ?? false)
      : ASKS_ABOUT_REFUND.test(request)
        ? refundHelp(i, result.refundableUntil, by.people ?? false)
        : undefined;
    return help ? `${described}\n\n${help}` : described;
  },
});

/** Refunds are allowed this many days after payment, as the billing article says. */
const REFUND_WINDOW_DAYS = 14;
const DAY_MS = 24 * 60 * 60 * 1000;

/** The invoice, when it can be refunded; otherwise why not, as request_refund's result. */
function refundable(invoice_id: string, invoice: Invoice | undefined) {
  const refused = (reason: string, reviewable = false) => ({
    ok: false as const,
    known: invoice !== undefined,
    refusal: { refunded: false as const, invoice_id, reason, reviewable },
  });
  if (!invoice) return refused(`No invoice ${invoice_id} exists.`);
  if (invoice.status === 'refunded') return refused('This invoice was already refunded.');
  if (invoice.status !== 'paid' || !invoice.paidAt)
    return refused(`The invoice is ${invoice.status}, not paid, so there is nothing to refund.`);
  const ageDays = (Date.now() - Date.parse(invoice.paidAt)) / DAY_MS;
  if (ageDays > REFUND_WINDOW_DAYS)
    return refused(
      `It was paid ${Math.floor(ageDays)} days ago; refunds are possible within ${REFUND_WINDOW_DAYS} days. A person can review exceptions.`,
      true,
    );
  return { ok: true as const, known: true, invoice };
}

export const requestRefund = defineTool({
  name: 'request_refund',
  status: 'Requesting your refund…',
  description: `Refund a paid invoice, in full, within ${REFUND_WINDOW_DAYS} days of payment. Needs the customer to confirm.`,
  input: z.object({
    invoice_id: invoiceIdSchema.describe('The invoice id, e.g. INV-2001'),
    reason: z.string().min(1).max(500).describe("The customer's reason for the refund"),
  }),
  needsApproval: true,
  approvalPrompt: ({ invoice_id }) => `Refund invoice ${invoice_id} in full?`,
  // No confirmation question for a refund that would be refused: the customer hears why at once.
  precheck: async ({ invoice_id }, { records, facts, requester }) => {
    const invoice = await findInvoice(records, invoice_id);
    const withheld = withheldFrom(requester, invoice, `invoice ${invoice_id}`);
    if (withheld) return withheld;
    const check = refundable(invoice_id, invoice);
    if (check.known) facts.set('invoice_id', invoice_id);
    return check.ok ? undefined : check.refusal;
  },
  run: async ({ invoice_id, reason }, { records, facts, requester }) => {
    const invoice = await findInvoice(records, invoice_id);
    const withheld = withheldFrom(requester, invoice, `invoice ${invoice_id}`);
    if (withheld) return withheld;
    const check = refundable(invoice_id, invoice);
    // Only an invoice that exists: a mistyped id must not replace the one an earlier lookup noted.
    if (check.known) facts.set('invoice_id', invoice_id);
    if (!check.ok) return check.refusal;
    const refundedAt = new Date().toISOString();
    await records.set(`invoice:${invoice_id}`, { status: 'refunded', refundedAt, refundReason: reason });
    return {
      refunded: true as const,
      invoice_id,
      amount: check.invoice.amount,
      currency: check.invoice.currency,
      refundedAt,
      arrives: 'within 5–10 business days',
    };
  },
  examples: [
    'I want a refund',
    'refund invoice INV-2001',
    'can I get my money back',
    'please refund the charge',
    'refund me',
  ],
  answerTemplate: (result, _input, by) => {
    if (isIdentityRequired(result)) return identityQuestion('refund', result);
    if (result.refunded)
      return `Done: invoice ${result.invoice_id} is refunded (${result.amount.toFixed(2)} ${result.currency}); the money arrives ${result.arrives}.`;
    const offer = result.reviewable && by.people ? ` ${PERSON_OFFER}` : '';
    return `I couldn't refund invoice ${result.invoice_id}: ${result.reason}${offer}`;
  },
});
