import { readdir, readFile, stat } from 'node:fs/promises';
import path from 'node:path';
import { ARTICLE_EXTENSIONS, type Article, ArticleFileError, parseArticle } from './articleFormats.js';

export type { Article } from './articleFormats.js';

/** A file this large is an export gone wrong (a whole site, a database dump), not an article. */
export const MAX_ARTICLE_FILE_BYTES = 2 * 1024 * 1024;

/** Files read at once while loading. */
const READ_CONCURRENCY = 16;

export interface SkippedFile {
  /** Path under the knowledge folder. */
  file: string;
  reason: string;
}

export interface LoadedArticles {
  articles: Article[];
  skipped: SkippedFile[];
}

/** Files under `dir` that may hold articles, relative and sorted; hidden files and folders (.git) are not read. */
async function articleFiles(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { recursive: true, withFileTypes: true });
  const files: string[] = [];
  for (const entry of entries) {
    if (!entry.isFile()) continue;
    // `parentPath` is Node ≥ 20.12; `path` the older name of the same field.
    const parent = (entry as { parentPath?: string }).parentPath ?? entry.path;
    const relative = path.relative(dir, path.join(parent, entry.name));
    if (relative.split(path.sep).some((part) => part.startsWith('.'))) continue;
    if ((ARTICLE_EXTENSIONS as readonly string[]).includes(path.extname(entry.name).toLowerCase()))
      files.push(relative);
  }
  return files.sort();
}

/**
 * Every article in a folder tree: Markdown, HTML and plain text. A file that cannot be an article (unreadable,
 * empty, broken front matter, too large) is skipped with its reason; it never stops the others. A folder that
 * cannot be read at all throws: there is no help center to answer from.
 */
export async function loadArticles(dir: string): Promise<LoadedArticles> {
  const files = await articleFiles(dir);
  const loaded: Array<Article | SkippedFile> = new Array(files.length);
  // A few files at a time: all of a large help center in flight at once is its whole size in buffers at once.
  let next = 0;
  const reader = async () => {
    while (next < files.length) {
      const index = next++;
      loaded[index] = await loadArticle(dir, files[index]!);
    }
  };
  await Promise.all(Array.from({ length: Math.min(READ_CONCURRENCY, files.length) }, reader));
  const articles: Article[] = [];
  const skipped: SkippedFile[] = [];
  for (const item of loaded) {
    if ('reason' in item) skipped.push(item);
    else articles.push(item);
  }
  return { articles, skipped };
}

async function loadArticle(dir: string, file: string): Promise<Article | SkippedFile> {
  const extension = path.extname(file).toLowerCase();
  const id = file.slice(0, -extension.length).split(path.sep).join('/');
  try {
    const full = path.join(dir, file);
    const { size } = await stat(full);
    if (size === 0) return { file, reason: 'empty file' };
    if (size > MAX_ARTICLE_FILE_BYTES)
      return { file, reason: `larger than ${MAX_ARTICLE_FILE_BYTES / 1024 / 1024} MB: split it into articles` };
    return parseArticle(id, extension, await readFile(full, 'utf8'));
  } catch (err) {
    if (err instanceof ArticleFileError) return { file, reason: err.message };
    const code = (err as NodeJS.ErrnoException).code;
    return { file, reason: code ? `cannot be read (${code})` : String(err) };
  }
}
