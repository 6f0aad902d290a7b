import type { KnownBlock } from '@slack/types';
import slackifyMarkdown from 'slackify-markdown';
import { markdownSourceLinks } from '../../src/conversation/sourceLinks.js';
import type { Source } from '../../src/orchestrator/citations.js';

/** A section block's text limit. */
export const MAX_SECTION_CHARS = 3_000;
/** What one `chat.startStream`/`appendStream` call may carry, and what we put in one streamed message. */
export const MAX_STREAMED_MESSAGE_CHARS = 12_000;

/** Model markdown → Slack mrkdwn (bold, links, code, lists), for messages we post ourselves. */
export function toMrkdwn(markdown: string): string {
  return slackifyMarkdown(markdown).trim();
}

/** The quiet line under a reply that says which agent answered. */
export function agentContextBlock(agent: string): KnownBlock {
  return { type: 'context', elements: [{ type: 'mrkdwn', text: `_${agent}_ · Switchboard` }] };
}

export function sectionBlock(mrkdwn: string): KnownBlock {
  return { type: 'section', text: { type: 'mrkdwn', text: mrkdwn } };
}

/**
 * The articles an answer drew on, as a Markdown line that `toMrkdwn` (or Slack's own markdown, when streamed)
 * turns into links: `*Sources:* <https://…|Title>`.
 */
export function sourcesLine(sources: readonly Source[]): string {
  return `**Sources:** ${markdownSourceLinks(sources).join(' · ')}`;
}
