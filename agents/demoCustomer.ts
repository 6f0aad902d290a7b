/**
 * The customer the terminal chat plays when CONSOLE_USER_EMAIL is unset, so the README's examples work out of the
 * box: Maya owns orders in every state worth trying (ORD-1001 shipped, ORD-1002 and ORD-1006 being prepared,
 * ORD-1004 waiting for payment) and invoice INV-2001. The other orders and invoices are other customers', so asking
 * about one (ORD-1003, say) shows the bot asking for the email on it instead of telling a stranger anything.
 */
export const DEMO_CUSTOMER = { name: 'Maya Chen', email: 'maya.chen@example.com' };

export const DEMO_CUSTOMER_NOTICE =
  `You are ${DEMO_CUSTOMER.name} (${DEMO_CUSTOMER.email}), a demo customer: the bot shows you your own orders and invoices, and ` +
  "asks for the email on anyone else's. Set CONSOLE_USER_EMAIL to be someone else.";
