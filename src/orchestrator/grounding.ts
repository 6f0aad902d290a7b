/**
 * The checkable facts of a reply: ids, amounts, other figures and dates. A claim is grounded when the same id,
 * number or calendar day appears in a source (a tool result, the fact sheet, the agent's own policy text; from the
 * customer's words, ids only). This is the offline engine's reviewer and the last guard on every reviewed reply.
 */

const MONTHS = [
  'january',
  'february',
  'march',
  'april',
  'may',
  'june',
  'july',
  'august',
  'september',
  'october',
  'november',
  'december',
];
const MONTH = `(${MONTHS.map((m) => `${m.slice(0, 3)}(?:${m.slice(3)})?`).join('|')})\\.?`;
const DAY = '(\\d{1,2})(?:st|nd|rd|th)?';

const ISO_DATE = /\b(\d{4})-(\d{2})-(\d{2})(?:T[\d:.]+Z?)?\b/g;
const MONTH_DAY = new RegExp(`\\b${MONTH}\\s+${DAY}\\b(?:,?\\s+(\\d{4}))?`, 'gi');
const DAY_MONTH = new RegExp(`\\b${DAY}\\s+(?:of\\s+)?${MONTH}\\b(?:,?\\s+(\\d{4}))?`, 'gi');
/** ORD-1001, INV-2001, BUG-3F2A…: letters, a dash, then digits or letters with at least one digit. */
const IDENTIFIER = /\b[A-Z]{2,6}-(?=[A-Z0-9]*\d)[A-Z0-9]{3,}\b/gi;
/** Tracking numbers and codes: eight or more letters and digits, at least one of each. */
const CODE = /\b(?=[A-Z0-9]*\d)(?=[A-Z0-9]*[A-Z])[A-Z0-9]{8,}\b/gi;
/** Figures: 12, 1,299.00, 45.5, with an optional currency sign or percent. Single digits are too common to check. */
const FIGURE = /(?<![\w.-])[$€£]?\s?(\d{1,3}(?:,\d{3})+|\d+)(?:\.(\d+))?%?(?![\w-])/g;

const FORMAT_EXAMPLE = /(?:e\.g\.|like|such as|for example)[\s,:]*$/i;

export interface Claim {
  /** As written in the reply. */
  text: string;
  /** What must appear in a source: `id:ORD-1001`, `num:45`, `date:12-25`. */
  key: string;
}

function monthIndex(name: string): number {
  return MONTHS.findIndex((m) => m.startsWith(name.toLowerCase().replace('.', '').slice(0, 3)));
}

const pad = (n: number) => String(n).padStart(2, '0');

function dateKeys(text: string): Array<{ text: string; key: string; span: [number, number] }> {
  const found: Array<{ text: string; key: string; span: [number, number] }> = [];
  for (const m of text.matchAll(ISO_DATE))
    found.push({ text: m[0], key: `date:${m[2]}-${m[3]}`, span: [m.index, m.index + m[0].length] });
  for (const m of text.matchAll(MONTH_DAY))
    found.push({
      text: m[0],
      key: `date:${pad(monthIndex(m[1]!) + 1)}-${pad(Number(m[2]))}`,
      span: [m.index, m.index + m[0].length],
    });
  for (const m of text.matchAll(DAY_MONTH))
    found.push({
      text: m[0],
      key: `date:${pad(monthIndex(m[2]!) + 1)}-${pad(Number(m[1]))}`,
      span: [m.index, m.index + m[0].length],
    });
  return found.filter((d) => !d.key.includes('-00') && Number(d.key.slice(-2)) <= 31);
}

function numberKey(whole: string, fraction: string | undefined): string {
  return `num:${Number(`${whole.replace(/,/g, '')}.${fraction ?? '0'}`)}`;
}

/** Every checkable claim in `text`; a figure inside a date, id or code is not counted again on its own. */
export function extractClaims(text: string): Claim[] {
  const claims: Claim[] = [];
  const covered: Array<[number, number]> = [];
  const inside = (at: number) => covered.some(([from, to]) => at >= from && at < to);
  for (const date of dateKeys(text)) {
    claims.push({ text: date.text, key: date.key });
    covered.push(date.span);
  }
  for (const pattern of [IDENTIFIER, CODE]) {
    for (const m of text.matchAll(pattern)) {
      if (inside(m.index)) continue;
      // "an id like ORD-1001" shows a format; it states nothing about this customer.
      if (FORMAT_EXAMPLE.test(text.slice(Math.max(0, m.index - 16), m.index))) continue;
      claims.push({ text: m[0], key: `id:${m[0].toUpperCase()}` });
      covered.push([m.index, m.index + m[0].length]);
    }
  }
  for (const m of text.matchAll(FIGURE)) {
    const at = m.index + m[0].indexOf(m[1]!);
    if (inside(at)) continue;
    if (m[1]!.length < 2 && m[2] === undefined && !/[$€£%]/.test(m[0])) continue;
    claims.push({ text: m[0].trim(), key: numberKey(m[1]!, m[2]) });
  }
  return claims;
}

/** How a customer's message is listed among the sources: what they wrote is their claim, not a record. */
const CUSTOMER_SOURCE_PREFIX = 'The customer wrote (their claim, not a record): ';

export function customerSource(text: string): string {
  return `${CUSTOMER_SOURCE_PREFIX}${text}`;
}

function addIds(keys: Set<string>, source: string): void {
  for (const pattern of [IDENTIFIER, CODE])
    for (const m of source.matchAll(pattern)) keys.add(`id:${m[0].toUpperCase()}`);
}

/**
 * What the sources establish: every id, code, number and calendar day in them. A date's day and month are not
 * numbers of their own (2026-11-24 does not support "24 items"); its year is. From the customer's own words only
 * ids count: a reply may name the order they asked about, but "your $500 refund" must come from a record.
 */
export function groundTruth(sources: string[]): Set<string> {
  const keys = new Set<string>();
  for (const source of sources) {
    addIds(keys, source);
    if (source.startsWith(CUSTOMER_SOURCE_PREFIX)) continue;
    let rest = source;
    for (const date of dateKeys(source)) {
      keys.add(date.key);
      const year = /\b\d{4}\b/.exec(date.text)?.[0];
      if (year) keys.add(`num:${Number(year)}`);
      rest = rest.replace(date.text, ' ');
    }
    for (const m of rest.matchAll(/\d{1,3}(?:,\d{3})+(?:\.\d+)?|\d+(?:\.\d+)?/g)) {
      const [whole, fraction] = m[0].split('.');
      keys.add(numberKey(whole!, fraction));
    }
  }
  return keys;
}

/** Policy text (an agent's instructions) as a source: its figures count, its example ids ("like ORD-1001") do not. */
export function policySource(text: string): string {
  return text.replace(IDENTIFIER, '').replace(CODE, '');
}

export interface GroundingCheck {
  claims: Claim[];
  unsupported: Claim[];
  /** Share of claims the sources support; 1 for a reply without checkable claims. */
  score: number;
}

export function checkGrounding(draft: string, truth: Set<string>): GroundingCheck {
  const claims = extractClaims(draft);
  const unsupported = claims.filter((claim) => !truth.has(claim.key));
  const score = claims.length === 0 ? 1 : (claims.length - unsupported.length) / claims.length;
  return { claims, unsupported, score: Math.round(score * 1000) / 1000 };
}

/** Where one sentence ends and the next begins within a line: after . ! or ? and whitespace, but not after "e.g.". */
export const SENTENCE_BREAK = /(?<=[.!?])(?<!\be\.g\.|\bi\.e\.|\betc\.)[^\S\n]+/;

/** Whether a sentence states no id, figure or date the sources lack. */
export function isSupported(sentence: string, truth: Set<string>): boolean {
  return checkGrounding(sentence, truth).unsupported.length === 0;
}

/** The draft without the sentences that state something the sources do not; line breaks are kept. */
export function withoutUnsupported(draft: string, truth: Set<string>): string {
  const lines = draft.split('\n').map((line) =>
    line
      .split(SENTENCE_BREAK)
      .filter((sentence) => isSupported(sentence, truth))
      .join(' '),
  );
  return lines
    .join('\n')
    .replace(/\n{3,}/g, '\n\n')
    .trim();
}
