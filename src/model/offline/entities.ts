/**
 * The number after "order" or "invoice" that makes an id: "number 1002", "no. 1002", "#1002", or four digits or more
 * right after the word, and not a quantity, an amount or a decimal.
 */
const NUMBERED =
  '(?:(?:number|no\\.?|num|id)\\s*(?:is|was|:)?\\s*#?\\s*\\d{3,}|#\\s*\\d{3,}|\\d{4,})\\b(?![.,]\\d|\\s*(?:units?|items?|pcs|pieces|dollars?|usd|eur|euros?|bucks|%))';

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
  // Customers write "ORD-1002", "ord1002", "order #1002", "order 1002" and "my order number is 1002"; "order 500
  // units" and "the invoice was 149.00" are not ids.
  order_id: {
    pattern: new RegExp(`\\bORD[-_ ]?\\d{3,}\\b|\\border\\s*${NUMBERED}`, 'gi'),
    normalize: (m) => `ORD-${m.replace(/\D/g, '')}`,
    mask: 'order',
    numberPrefix: 'ORD',
  },
  invoice_id: {
    pattern: new RegExp(`\\bINV[-_ ]?\\d{3,}\\b|\\binvoice\\s*${NUMBERED}`, 'gi'),
    normalize: (m) => `INV-${m.replace(/\D/g, '')}`,
    mask: 'invoice',
    numberPrefix: 'INV',
  },
  email: { pattern: /\b[\w.+-]+@[\w-]+(\.[\w-]+)+\b/g, normalize: (m) => m.toLowerCase(), mask: 'email' },
};

/** A number marked as an id: "#1002". */
const HASH_NUMBER = /(?<![\w#])#\s?(\d{3,8})\b/g;
/** A number of three to eight digits standing alone. */
const NUMBER = /(?<![$€£\w.,:/-])\d{3,8}(?![\w.,:/$€£-]|\s*(?:dollars?|bucks|usd|eur|euros?|gbp|pounds?|%|percent))/g;
/** What may surround an id given on its own: "sorry, it's 1003", "oops, the number is 1003", "1003 I mean". */
const ID_FILLER =
  /\b(?:it'?s|its|it|is|was|the|my|a|number|no|num|id|order|invoice|sorry|oops|typo|actually|ok|okay|i|mean|meant|should|be|correct|right|one|that|this|here|please|pls|oh|ah|um|uh|wrong|not|correction|try)\b/gi;

/**
 * The ids of an entity with a `numberPrefix` that `text` gives as a bare number ("#1002" → "ORD-1002"): one marked
 * with "#", or a number that is all the message says besides filler ("sorry, it's 1003"). A number inside a request
 * ("cancel it but keep 1006", "I paid 1499", "zip 90210") is not taken for an id.
 */
export function bareIds(text: string, entity: string): string[] {
  const prefix = ENTITIES[entity]?.numberPrefix;
  if (!prefix) return [];
  const rest = Object.values(ENTITIES).reduce((left, { pattern }) => left.replace(pattern, ' '), text);
  const marked = [...rest.matchAll(HASH_NUMBER)].map((m) => m[1]!);
  const numbers = rest.match(NUMBER) ?? [];
  const alone =
    numbers.length === 1 &&
    rest
      .replace(NUMBER, ' ')
      .replace(ID_FILLER, ' ')
      .replace(/[^\p{L}\p{N}]+/gu, '') === '';
  return [...new Set([...marked, ...(alone ? numbers : [])].map((digits) => `${prefix}-${digits}`))];
}

/** Ids and addresses say which entity is meant, not which intent; masking them keeps classifier features general. */
export function maskEntities(text: string): string {
  return Object.values(ENTITIES).reduce((masked, entity) => masked.replace(entity.pattern, ` ${entity.mask} `), text);
}

/** Whether a text names an id or an address (an order, an invoice, an email): a request about it, however short. */
export function namesEntity(text: string): boolean {
  return Object.values(ENTITIES).some(({ pattern }) => text.match(pattern) !== null);
}
