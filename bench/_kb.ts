import { HelpCenter } from '../src/knowledge/helpCenter.js';
import { createLogger } from '../src/log.js';

const dir = process.argv[2]!;
const hc = new HelpCenter({ dir, log: createLogger({ level: 'warn' }), minRelevance: 0 });
await hc.ready;
for (const q of process.argv.slice(3)) {
  const hits = await hc.search(q, { limit: 5 });
  console.log(q, '=>', hits.map((h) => `${h.articleId}#${h.heading ?? ''} ${h.relevance}`).join(' | '));
}
