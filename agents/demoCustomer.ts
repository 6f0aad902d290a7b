/**
 * The customer the terminal chat plays when CONSOLE_USER_EMAIL is unset, so the README's examples work out of the
 * box: Maya owns orders in every state worth trying (ORD-1001 shipped, ORD-1002 and ORD-1006 being prepared,
 * ORD-1004 waiting for payment) and invoice INV-2001. The other orders and invoices are other customers', so asking
 * about one (ORD-1003, say) shows the bot asking for the email on it instead of telling a stranger anything.
 */
export const DEMO_CUSTOMER = { name: 'Maya Chen', email: 'maya.chen@example.com' };

export const DEMO_CUSTOMER_NOTICE =
  `You are playing ${DEMO_CUSTOMER.name} (${DEMO_CUSTOMER.email}), a demo customer who owns ORD-1001, ORD-1002, ORD-1004, ORD-1006 and INV-2001; ` +
  'other orders are other customers\', and the bot asks for the email on them. Set CONSOLE_USER_EMAIL to be someone else.';
