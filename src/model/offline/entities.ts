/** Entities the offline engine finds in text, keyed by the tool-argument names that take them. */
export const ENTITIES: Record<
  string,
  {
    pattern: RegExp;
    normalize(match: string): string;
    /** Word that stands in for it when classifying. */
    mask: string;
    /**
     * The id's prefix when a number on its own may stand for one ("it's 1003", "#1002"): taken only when a tool
     * needs this id and the message names none in full.
     */
    numberPrefix?: string;
  }
> = {
  // Customers write "ORD-1002", "ord1002", "order #1002", "order 1002" and "my order number is 1002".
  order_id: {
    pattern: /\bORD[-_ ]?\d{3,}\b|\border\s*(?:number|no\.?|num|id)?\s*(?:is|was|:)?\s*#?\s*\d{3,}\b/gi,
    normalize: (m) => `ORD-${m.replace(/\D/g, '')}`,
    mask: 'order',
    numberPrefix: 'ORD',
  },
  invoice_id: {
    pattern: /\bINV[-_ ]?\d{3,}\b|\binvoice\s*(?:number|no\.?|num|id)?\s*(?:is|was|:)?\s*#?\s*\d{3,}\b/gi,
    normalize: (m) => `INV-${m.replace(/\D/g, '')}`,
    mask: 'invoice',
    numberPrefix: 'INV',
  },
  email: { pattern: /\b[\w.+-]+@[\w-]+(\.[\w-]+)+\b/g, normalize: (m) => m.toLowerCase(), mask: 'email' },
};

/**
 * A number that may be an id on its own: three to eight digits, not an amount ("$1499", "350 dollars", "20%"), a
 * decimal, or part of a longer token (a date, a phone number, a tracking code).
 */
const BARE_NUMBER =
  /(?<![$€£\d.,:/-])#?\b\d{3,8}\b(?![.,:/-]?\d)(?!\s*(?:dollars?|bucks|usd|eur|euros?|gbp|pounds?|%|percent))/gi;

/** The numbers of `text` that may be ids of an entity with a `numberPrefix`, normalized ("#1002" → "ORD-1002"). */
export function bareIds(text: string, entity: string): string[] {
  const prefix = ENTITIES[entity]?.numberPrefix;
  if (!prefix) return [];
  const rest = Object.values(ENTITIES).reduce((left, { pattern }) => left.replace(pattern, ' '), text);
  return [...new Set((rest.match(BARE_NUMBER) ?? []).map((m) => `${prefix}-${m.replace(/\D/g, '')}`))];
}

/** Ids and addresses say which entity is meant, not which intent; masking them keeps classifier features general. */
export function maskEntities(text: string): string {
  return Object.values(ENTITIES).reduce((masked, entity) => masked.replace(entity.pattern, ` ${entity.mask} `), text);
}
