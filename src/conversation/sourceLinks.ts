import type { Source } from '../orchestrator/citations.js';

/**
 * Each source as a Markdown link (or its title, when it has no address), escaped so neither a bracket in a title
 * nor a space or parenthesis in an address ends the link early. `noPreview` wraps the address in angle brackets,
 * which Discord reads as "do not unfurl this link".
 */
export function markdownSourceLinks(sources: readonly Source[], { noPreview = false } = {}): string[] {
  return sources.map((source) => {
    if (!source.url) return source.title;
    const text = source.title.replace(/[[\]]/g, (c) => (c === '[' ? '(' : ')'));
    const target = source.url.replace(/[()\s<>]/g, (c) => encodeURIComponent(c));
    return `[${text}](${noPreview ? `<${target}>` : target})`;
  });
}
