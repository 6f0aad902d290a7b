/** Platform message limits (Slack's 3,000-character blocks, Discord's 2,000-character messages) split replies. */

/**
 * Splits text into pieces of at most `limit` characters, preferring paragraph, then line, then word breaks,
 * and never leaving a code fence open across pieces.
 */
export function splitText(text: string, limit: number): string[] {
  const FENCE = '```';
  const pieces: string[] = [];
  let rest = text;
  while (rest.length > limit) {
    // Room for a closing fence, in case the piece ends inside a code block.
    const window = rest.slice(0, limit - FENCE.length - 1);
    let cut = window.lastIndexOf('\n\n');
    if (cut < window.length / 2) cut = Math.max(window.lastIndexOf('\n'), cut);
    if (cut < window.length / 2) cut = Math.max(window.lastIndexOf(' '), cut);
    if (cut < window.length / 4) cut = window.length;
    let piece = rest.slice(0, cut);
    rest = rest.slice(cut).replace(/^(\n+| )/, '');
    if ((piece.split(FENCE).length - 1) % 2 === 1) {
      piece = `${piece}\n${FENCE}`;
      rest = `${FENCE}\n${rest}`;
    }
    pieces.push(piece);
  }
  if (rest !== '' || pieces.length === 0) pieces.push(rest);
  return pieces;
}
