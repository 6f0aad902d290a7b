import type { Article } from './articleFormats.js';

/** A section shorter than this joins its neighbour: a heading over one line says too little to be found alone. */
export const MIN_PASSAGE_CHARS = 200;
/** A section longer than this is cut at paragraph breaks, so a search answers with the part that matters. */
export const MAX_PASSAGE_CHARS = 1_500;

/** One section of an article: what search finds and what an answer quotes. */
export interface Passage {
  /** `<article id>#<n>`, n counting from 0 in article order. */
  id: string;
  articleId: string;
  title: string;
  url: string | undefined;
  tags: string[];
  /** The section's heading, or undefined for the text before the first heading. */
  heading: string | undefined;
  /** Markdown, without the heading line. */
  text: string;
}

interface Section {
  heading: string | undefined;
  text: string;
}

const HEADING = /^(#{1,6})[ \t]+(.+?)[ \t#]*$/;
const FENCE = /^\s*(```|~~~)/;

/** The article's sections by heading (any level), ignoring `#` lines inside fenced code. */
function sections(body: string): Section[] {
  const found: Section[] = [];
  let current: Section = { heading: undefined, text: '' };
  let inFence = false;
  for (const line of body.split(/\r?\n/)) {
    if (FENCE.test(line)) inFence = !inFence;
    const heading = inFence ? null : HEADING.exec(line);
    if (heading) {
      found.push(current);
      current = { heading: heading[2]!.trim(), text: '' };
    } else current.text += `${line}\n`;
  }
  found.push(current);
  return found
    .map((section) => ({ heading: section.heading, text: section.text.trim() }))
    .filter((section) => section.text !== '' || section.heading !== undefined);
}

/** Short sections join the one after them (a heading over a single line belongs with what follows). */
function merged(all: Section[]): Section[] {
  const out: Section[] = [];
  let carry: Section | undefined;
  for (const section of all) {
    const joined: Section = carry
      ? {
          heading: carry.heading ?? section.heading,
          text: [carry.text, section.heading && carry.heading ? `**${section.heading}**` : '', section.text]
            .filter(Boolean)
            .join('\n\n'),
        }
      : section;
    carry = undefined;
    if (joined.text.length < MIN_PASSAGE_CHARS) carry = joined;
    else out.push(joined);
  }
  if (carry) {
    const last = out.at(-1);
    if (last && carry.text.length < MIN_PASSAGE_CHARS / 2)
      out[out.length - 1] = {
        heading: last.heading,
        text: [last.text, carry.heading ? `**${carry.heading}**` : '', carry.text].filter(Boolean).join('\n\n'),
      };
    else out.push(carry);
  }
  return out;
}

/** Paragraphs packed into pieces of at most MAX_PASSAGE_CHARS (a single longer paragraph is cut at sentence ends). */
function pieces(text: string): string[] {
  if (text.length <= MAX_PASSAGE_CHARS) return [text];
  const units = text
    .split(/\n\s*\n/)
    .flatMap((paragraph) =>
      paragraph.length <= MAX_PASSAGE_CHARS ? [paragraph] : (paragraph.match(/[^.!?]+[.!?]*\s*/g) ?? [paragraph]),
    );
  const out: string[] = [];
  let current = '';
  for (const unit of units) {
    if (current !== '' && current.length + unit.length + 2 > MAX_PASSAGE_CHARS) {
      out.push(current.trim());
      current = '';
    }
    current += current === '' ? unit : `\n\n${unit}`;
  }
  if (current.trim() !== '') out.push(current.trim());
  return out;
}

/** The article split by heading into passages, each carrying the article's title, address and tags. */
export function passagesOf(article: Article): Passage[] {
  const out: Passage[] = [];
  for (const section of merged(sections(article.body))) {
    for (const text of pieces(section.text)) {
      out.push({
        id: `${article.id}#${out.length}`,
        articleId: article.id,
        title: article.title,
        url: article.url,
        tags: article.tags,
        heading: section.heading,
        text,
      });
    }
  }
  return out;
}
