import TurndownService from 'turndown';
import { parse as parseYaml } from 'yaml';
import { z } from 'zod';

/** One help-center article, whatever file it came from; `body` is Markdown. */
export interface Article {
  /** The file's path under the knowledge folder, without its extension: `billing/refunds`. */
  id: string;
  title: string;
  /** The article's public address, when the team gave one; sources cite it. */
  url: string | undefined;
  tags: string[];
  body: string;
}

/** Why a file could not become an article; it is skipped and named in one log line. */
export class ArticleFileError extends Error {
  readonly kind = 'ArticleFileError';
}

export const ARTICLE_EXTENSIONS = ['.md', '.markdown', '.html', '.htm', '.txt'] as const;

const tagList = z
  .union([z.array(z.union([z.string(), z.number()])), z.string()])
  .transform((tags) => (Array.isArray(tags) ? tags.map(String) : tags.split(',')))
  .transform((tags) => tags.map((tag) => tag.trim().toLowerCase()).filter((tag) => tag !== ''));

const frontMatterSchema = z
  .object({
    title: z.union([z.string(), z.number()]).transform(String).optional(),
    url: z.url({ protocol: /^https?$/, error: 'must be an http(s) address' }).optional(),
    tags: tagList.optional(),
  })
  .loose();

const FRONT_MATTER = /^\uFEFF?---[ \t]*\r?\n([\s\S]*?)\r?\n(?:---|\.\.\.)[ \t]*(?:\r?\n|$)/;
/** A `# Title` line that opens the text (a `#` line further down may be inside a code block). */
const ATX_TITLE = /^\s*#[ \t]+(.+?)[ \t#]*(?:\r?\n|$)/;

/** A Markdown file: optional YAML front matter (`title`, `url`, `tags`), the title otherwise from an opening `# heading`. */
export function markdownArticle(id: string, text: string): Article {
  let meta: z.output<typeof frontMatterSchema> = {};
  let body = text.replace(/^\uFEFF/, '');
  if (/^---[ \t]*\r?\n/.test(body)) {
    const match = FRONT_MATTER.exec(body);
    if (!match) throw new ArticleFileError('front matter opens with --- but never closes');
    let data: unknown;
    try {
      data = parseYaml(match[1]!) ?? {};
    } catch (err) {
      throw new ArticleFileError(`front matter is not valid YAML: ${(err as Error).message.split('\n')[0]}`);
    }
    const parsed = frontMatterSchema.safeParse(data);
    if (!parsed.success) {
      const issue = parsed.error.issues[0]!;
      throw new ArticleFileError(`front matter ${issue.path.join('.') || '(top)'}: ${issue.message}`);
    }
    meta = parsed.data;
    body = body.slice(match[0].length);
  }
  return withTitle(id, body, meta.title, meta.url, meta.tags ?? []);
}

/** A plain-text file: its first line is the title. */
export function textArticle(id: string, text: string): Article {
  const lines = text.replace(/^\uFEFF/, '').split(/\r?\n/);
  const first = lines.findIndex((line) => line.trim() !== '');
  if (first < 0) return emptyArticle(id);
  return {
    id,
    title: lines[first]!.trim(),
    url: undefined,
    tags: [],
    body: lines
      .slice(first + 1)
      .join('\n')
      .trim(),
  };
}

const turndown = new TurndownService({ headingStyle: 'atx', codeBlockStyle: 'fenced', bulletListMarker: '-' });
// Page furniture of a help-desk export: none of it is the article.
turndown.remove(['head', 'script', 'style', 'noscript', 'template', 'iframe', 'nav', 'footer', 'form', 'button']);

const HTML_TITLE = /<title[^>]*>([\s\S]*?)<\/title>/i;
const CANONICAL = /<link\b[^>]*\brel=["']canonical["'][^>]*>/i;
const OG_URL = /<meta\b[^>]*\bproperty=["']og:url["'][^>]*>/i;
const KEYWORDS = /<meta\b[^>]*\bname=["']keywords["'][^>]*>/i;

/** An HTML page (a help desk's export): converted to Markdown; title from `<title>` or its first heading. */
export function htmlArticle(id: string, html: string): Article {
  const title = HTML_TITLE.exec(html)?.[1];
  const url = attribute(CANONICAL.exec(html)?.[0], 'href') ?? attribute(OG_URL.exec(html)?.[0], 'content');
  const keywords = attribute(KEYWORDS.exec(html)?.[0], 'content');
  const body = turndown.turndown(html);
  const titleText = title === undefined ? undefined : turndown.turndown(title).trim() || undefined;
  return withTitle(
    id,
    body,
    titleText,
    url && /^https?:\/\//.test(url) ? url : undefined,
    tagList.parse(keywords ?? ''),
  );
}

function attribute(tag: string | undefined, name: string): string | undefined {
  if (!tag) return undefined;
  const value = new RegExp(`\\b${name}=["']([^"']*)["']`, 'i').exec(tag)?.[1]?.trim();
  return value ? turndown.turndown(value).trim() : undefined;
}

/** The title given, else an opening `# heading` (dropped from the body, where it would repeat), else the file name. */
function withTitle(id: string, markdown: string, title: string | undefined, url: string | undefined, tags: string[]) {
  let body = markdown.trim();
  let chosen = title?.trim();
  const heading = ATX_TITLE.exec(body);
  if (heading) {
    chosen ??= heading[1]!.trim();
    if (sameWords(heading[1]!, chosen))
      body = `${body.slice(0, heading.index)}${body.slice(heading.index + heading[0].length)}`.trim();
  }
  return { id, title: chosen || titleFromId(id), url, tags, body };
}

function sameWords(a: string, b: string): boolean {
  const words = (s: string) =>
    s
      .toLowerCase()
      .replace(/[^\p{L}\p{N}]+/gu, ' ')
      .trim();
  return words(a) === words(b);
}

function emptyArticle(id: string): Article {
  return { id, title: titleFromId(id), url: undefined, tags: [], body: '' };
}

/** `billing/refund-policy` → "Refund policy". */
function titleFromId(id: string): string {
  const name = id.split('/').at(-1)!.replace(/[-_]+/g, ' ').trim();
  return name.charAt(0).toUpperCase() + name.slice(1);
}

/** The article in a file of the given extension, or ArticleFileError. */
export function parseArticle(id: string, extension: string, text: string): Article {
  if (text.includes('\u0000')) throw new ArticleFileError('binary content, not text');
  const article =
    extension === '.html' || extension === '.htm'
      ? htmlArticle(id, text)
      : extension === '.txt'
        ? textArticle(id, text)
        : markdownArticle(id, text);
  if (article.body.trim() === '') throw new ArticleFileError('no article text');
  return article;
}
