import { readdirSync, readFileSync } from 'node:fs';
import MiniSearch from 'minisearch';
import { z } from 'zod';
import { defineTool } from '../../src/index.js';
import { createBugReport } from '../bugs/tools.js';

export interface Article {
  id: string;
  title: string;
  body: string;
}

const KNOWLEDGE_DIR = new URL('./', import.meta.url);
const MAX_RESULTS = 3;

function loadArticles(): Article[] {
  return readdirSync(KNOWLEDGE_DIR)
    .filter((file) => file.endsWith('.md'))
    .sort()
    .map((file) => {
      const text = readFileSync(new URL(file, KNOWLEDGE_DIR), 'utf8');
      const title = /^#\s+(.+)$/m.exec(text)?.[1]?.trim() ?? file;
      return { id: file.replace(/\.md$/, ''), title, body: text.replace(/^#\s+.+$/m, '').trim() };
    });
}

/**
 * Words that say nothing about which article is meant. Left in, they decide close calls by how often an article
 * says "you" or "have": "what plans do you have?" found the cancellation article before the one about plans.
 */
const STOP_WORDS = new Set(
  // "can't" and "don't" reach here as "can" "t" and "don" "t": a lone "t" would prefix-match every word in t.
  'a an and are as at be but by can could do does don for from have has how i if in is it its me my of on or our please s so t that the there this to us was we what when where which will with would you your'.split(
    ' ',
  ),
);

/** Full-text index over agents/knowledge/*.md: fuzzy and prefix matching, titles weighted over bodies. */
export class KnowledgeBase {
  private readonly index = new MiniSearch<Article>({
    fields: ['title', 'body'],
    storeFields: ['title', 'body'],
    processTerm: (term) => {
      const word = term.toLowerCase();
      return STOP_WORDS.has(word) ? null : word;
    },
    searchOptions: { boost: { title: 2 }, fuzzy: 0.2, prefix: true, combineWith: 'OR' },
  });

  constructor(readonly articles: Article[] = loadArticles()) {
    this.index.addAll(articles);
  }

  search(query: string, limit = MAX_RESULTS): Array<Article & { score: number }> {
    return this.index
      .search(query)
      .slice(0, limit)
      .map((hit) => ({
        id: hit.id as string,
        title: hit.title as string,
        body: hit.body as string,
        score: Math.round(hit.score * 100) / 100,
      }));
  }
}

export const knowledgeBase = new KnowledgeBase();

export const searchKnowledgeBase = defineTool({
  name: 'search_knowledge_base',
  status: 'Searching the help center…',
  description:
    'Search the help-center articles (login, crashes, 2FA, passwords, shipping, returns, billing, notifications, data export). Returns the best-matching articles.',
  input: z.object({
    query: z.string().trim().min(2).max(500).describe('What the customer is asking about, in a few words'),
  }),
  run: ({ query }) => {
    const results = knowledgeBase.search(query);
    return results.length
      ? { results }
      : { results: [], message: 'No article matches. Offer to file a bug report or hand over to a person.' };
  },
  examples: [
    'the app crashes when I log in',
    "I can't log in",
    'my 2FA code is not working',
    'I forgot my password',
    'notifications stopped working',
    'the app keeps logging me out',
    'how do I export my data',
    'how long does shipping take',
    'what is the return policy',
    'how do returns work',
    'I want to return an item',
  ],
  answerTemplate: (result, _input, by) => {
    // Technical Support can file a bug report; Orders and Billing quote policy articles, where that offer makes no sense.
    const canReport = by.tools.includes(createBugReport.name);
    const best = result.results[0];
    if (!best)
      return canReport
        ? "I couldn't find a help article about that. I can file a bug report for our engineers, or get a person to help."
        : "I couldn't find a help article about that. Could you tell me a bit more, or ask for a person?";
    const quote = best.body
      .split('\n')
      .map((line) => `> ${line}`)
      .join('\n');
    const next = canReport
      ? "If that doesn't solve it, I can file a bug report for our engineers."
      : "If that doesn't answer your question, tell me what's missing.";
    return `From our help article "${best.title}":\n\n${quote}\n\n${next}`;
  },
});
