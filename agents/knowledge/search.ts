import { fileURLToPath } from 'node:url';
import { z } from 'zod';
import { createLogger, defineTool, HelpCenter, type KnowledgeHit, PERSON_OFFER, type Tool } from '../../src/index.js';
import { createBugReport } from '../bugs/tools.js';

/** The shipped demo articles, used when the team names no folder of its own (KNOWLEDGE_DIR). */
export const DEMO_KNOWLEDGE_DIR = fileURLToPath(new URL('./articles/', import.meta.url));

let demo: HelpCenter | undefined;

/** The demo help center, loaded once per process on first use. */
export function demoHelpCenter(): HelpCenter {
  demo ??= new HelpCenter({ dir: DEMO_KNOWLEDGE_DIR, log: createLogger({ level: 'silent' }) });
  return demo;
}

export const SEARCH_KNOWLEDGE_BASE = 'search_knowledge_base';

/** What the model is told with the passages: the run loop lists the sources, so it must not. */
const PASSAGES_NOTE =
  'Answer from these passages only. The articles you use are listed as sources under your reply automatically: do not list them or paste their addresses.';
const NOTHING_FOUND =
  'No help article answers this. Say the help center has no article on it; do not answer from general knowledge or cite an unrelated article.';

export interface KnowledgeToolOptions {
  /** Articles with these tags are searched first (Billing: `billing`); the whole help center when none answers. */
  tags?: readonly string[] | undefined;
  /** Requests for this agent that the help center answers; they train the offline engine's choice of this tool. */
  examples: string[];
}

/** The help-center search, as one agent has it: its preferred tags and its own examples. */
export function searchKnowledgeBase(helpCenter: HelpCenter, options: KnowledgeToolOptions): Tool {
  return defineTool({
    name: SEARCH_KNOWLEDGE_BASE,
    status: 'Searching the help center…',
    description:
      "Search the help center's articles for how-to questions, policies and troubleshooting steps. Returns the most relevant passages with their article's title, or none when no article answers the question.",
    input: z.object({
      query: z.string().trim().min(2).max(500).describe('What the customer is asking about, in a few words'),
    }),
    run: async ({ query }) => {
      const hits = await helpCenter.search(query, { preferTags: options.tags });
      return hits.length > 0
        ? { passages: hits.map(passageOf), note: PASSAGES_NOTE }
        : { passages: [], message: NOTHING_FOUND };
    },
    examples: options.examples,
    answerTemplate: (result, _input, by) => {
      // Technical Support can file a bug report; Orders and Billing quote policy articles, where that offer makes no sense.
      const canReport = by.tools.includes(createBugReport.name);
      const best = result.passages[0];
      if (!best) {
        const report = canReport ? ' If something is broken, I can file a bug report for our engineers.' : '';
        return by.people
          ? `I don't have a help article on that.${report} ${PERSON_OFFER}`
          : `I don't have a help article on that.${report || ' Could you tell me a bit more?'}`;
      }
      const quote = best.text
        .split('\n')
        .map((line) => `> ${line}`)
        .join('\n');
      const where = best.heading ? `"${best.title}" (${best.heading})` : `"${best.title}"`;
      const next = canReport
        ? "If that doesn't solve it, I can file a bug report for our engineers."
        : "If that doesn't answer your question, tell me what's missing.";
      return `From our help article ${where}:\n\n${quote}\n\n${next}`;
    },
  });
}

function passageOf(hit: KnowledgeHit) {
  return { title: hit.title, url: hit.url, heading: hit.heading, text: hit.text, relevance: hit.relevance };
}
