import assert from 'node:assert/strict';
import { cpSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { DEMO_KNOWLEDGE_DIR } from '../agents/knowledge/search.js';
import { parseArticle } from '../src/knowledge/articleFormats.js';
import { loadArticles } from '../src/knowledge/articles.js';
import { HelpCenter } from '../src/knowledge/helpCenter.js';
import { MAX_PASSAGE_CHARS, MIN_PASSAGE_CHARS, passagesOf } from '../src/knowledge/passages.js';
import { createLogger } from '../src/log.js';
import { capturingLogger, tempDir, waitFor } from './harness.js';

const NOTES_DIR = fileURLToPath(new URL('./fixtures/knowledge-notes/', import.meta.url));
const silent = createLogger({ level: 'silent' });

describe('loading a folder of articles', () => {
  test('Markdown front matter, HTML exports and plain text become articles; hidden folders are not read', async () => {
    const { articles } = await loadArticles(NOTES_DIR);
    const byId = new Map(articles.map((a) => [a.id, a]));
    assert.deepEqual([...byId.keys()].sort(), [
      'account/export-notes',
      'sharing/share-a-notebook',
      'sync/sync-conflicts',
    ]);

    const md = byId.get('sharing/share-a-notebook')!;
    assert.equal(md.title, 'Share a notebook with your team');
    assert.equal(md.url, 'https://help.quillpad.example/articles/share-a-notebook');
    assert.deepEqual(md.tags, ['sharing', 'workspaces']);
    assert.doesNotMatch(md.body, /^# Share a notebook/m, 'the title heading is not repeated in the body');
    assert.match(md.body, /^## Invite people to a notebook$/m);

    const html = byId.get('sync/sync-conflicts')!;
    assert.equal(html.title, 'Fixing sync conflicts & duplicate notes', 'from <title>, entities decoded');
    assert.equal(html.url, 'https://help.quillpad.example/articles/sync-conflicts', 'from the canonical link');
    assert.deepEqual(html.tags, ['sync', 'troubleshooting'], 'from the keywords meta tag');
    assert.match(html.body, /^## Merge a conflicted copy$/m, 'headings become Markdown headings');
    assert.match(html.body, /1\.\s+Open both versions side by side from \*\*Note → Version history\*\*/);
    assert.doesNotMatch(
      html.body,
      /trackPageView|color: red|Home › Sync|© Quillpad/,
      'no script, style, nav or footer',
    );

    const txt = byId.get('account/export-notes')!;
    assert.equal(txt.title, 'Export all your notes', 'the first line of a text file');
    assert.equal(txt.url, undefined);
    assert.match(txt.body, /^Go to Settings, then Account, then Export\./);
  });

  test('each bad file is skipped with its reason, and the rest still load', async () => {
    const { articles, skipped } = await loadArticles(NOTES_DIR);
    assert.equal(articles.length, 3);
    const reasons = Object.fromEntries(skipped.map((s) => [s.file.split(path.sep).join('/'), s.reason]));
    assert.deepEqual(Object.keys(reasons).sort(), [
      'bad/bad-url.md',
      'bad/binary.txt',
      'bad/empty.md',
      'bad/invalid-yaml.md',
      'bad/no-text.md',
      'bad/unclosed-front-matter.md',
    ]);
    assert.equal(reasons['bad/empty.md'], 'empty file');
    assert.equal(reasons['bad/no-text.md'], 'no article text');
    assert.equal(reasons['bad/binary.txt'], 'binary content, not text');
    assert.match(reasons['bad/unclosed-front-matter.md']!, /never closes/);
    assert.match(reasons['bad/invalid-yaml.md']!, /not valid YAML/);
    assert.match(reasons['bad/bad-url.md']!, /^front matter url: must be an http\(s\) address/);
  });

  test('a help center logs one line per skipped file and starts with the good ones', async () => {
    const { log, lines } = capturingLogger();
    const helpCenter = new HelpCenter({ dir: NOTES_DIR, log });
    await helpCenter.ready;
    const skippedLines = lines.filter((l) => l.msg === 'knowledge.file_skipped');
    assert.equal(skippedLines.length, 6);
    assert.ok(skippedLines.every((l) => typeof l.file === 'string' && typeof l.reason === 'string'));
    const loaded = lines.find((l) => l.msg === 'knowledge.loaded')!;
    assert.equal(loaded.articles, 3);
    assert.equal(loaded.skipped, 6);
    assert.equal(helpCenter.size.articles, 3);
  });

  test('a folder that does not exist fails loading with the reason', async () => {
    const helpCenter = new HelpCenter({ dir: path.join(NOTES_DIR, 'no-such-folder'), log: silent });
    await assert.rejects(helpCenter.ready, { code: 'ENOENT' });
  });
});

describe('passages', () => {
  test('an article is split by heading; each passage carries its title, address and heading', async () => {
    const { articles } = await loadArticles(NOTES_DIR);
    const article = articles.find((a) => a.id === 'sharing/share-a-notebook')!;
    const passages = passagesOf(article);
    // The short opening paragraph joins the first section rather than standing alone.
    assert.deepEqual(
      passages.map((p) => p.heading),
      ['Invite people to a notebook', 'Stop sharing a notebook', 'Share a read-only link'],
    );
    assert.match(passages[0]!.text, /^Quillpad notebooks are private until you share them\.[\s\S]*Send invites/);
    assert.ok(passages.every((p) => p.title === article.title && p.url === article.url && p.articleId === article.id));
    assert.match(passages.find((p) => p.heading === 'Stop sharing a notebook')!.text, /Remove access/);
    assert.doesNotMatch(passages.find((p) => p.heading === 'Stop sharing a notebook')!.text, /Copy public link/);
  });

  test('short sections join the next one, long ones are cut at paragraphs, and # inside code is not a heading', () => {
    const long = Array.from({ length: 12 }, (_, i) => `Paragraph ${i} ${'words and more words '.repeat(12)}`).join(
      '\n\n',
    );
    const body = [
      '## Tiny',
      'One line.',
      '## Settings',
      `Open settings.\n\n\`\`\`sh\n# not a heading\necho hi\n\`\`\`\n\n${'Then choose the option you need. '.repeat(8)}`,
      '## Long',
      long,
    ].join('\n\n');
    const passages = passagesOf(parseArticle('guide', '.md', body));
    assert.equal(passages[0]!.heading, 'Tiny', 'the short section leads the one it joined');
    assert.match(passages[0]!.text, /One line\.[\s\S]*\*\*Settings\*\*[\s\S]*# not a heading/);
    const longParts = passages.filter((p) => p.heading === 'Long');
    assert.ok(longParts.length >= 2, 'the long section is cut');
    assert.ok(longParts.every((p) => p.text.length <= MAX_PASSAGE_CHARS && p.text.length >= MIN_PASSAGE_CHARS));
    const words = (text: string) => text.replace(/\s+/g, ' ').trim();
    assert.equal(words(longParts.map((p) => p.text).join(' ')), words(long), 'nothing is lost between the pieces');
  });
});

describe('searching', () => {
  test('relevant passages come back with their article; unrelated questions find nothing', async () => {
    const helpCenter = new HelpCenter({ dir: DEMO_KNOWLEDGE_DIR, log: silent });
    const [best] = await helpCenter.search('I forgot my password');
    assert.equal(best?.title, 'Resetting a forgotten password');
    assert.equal(best?.url, 'https://help.switchboard.example/articles/password-reset');
    assert.equal((await helpCenter.search('what is your return policy'))[0]?.articleId, 'returns-and-cancellations');
    // Once found the password article on "address"; no article is about changing an address.
    assert.deepEqual(await helpCenter.search('can I change the address'), []);
    assert.deepEqual(await helpCenter.search('what is the weather in Paris'), []);
  });

  test('preferred tags are searched first, and the whole help center when they find nothing', async () => {
    const helpCenter = new HelpCenter({ dir: DEMO_KNOWLEDGE_DIR, log: silent, minRelevance: 0.3 });
    const untagged = await helpCenter.search('refund');
    const billingFirst = await helpCenter.search('refund', { preferTags: ['billing'] });
    assert.ok(billingFirst.length > 0 && billingFirst.every((hit) => hit.tags.includes('billing')));
    assert.ok(
      untagged.some((hit) => !hit.tags.includes('billing')),
      'refunds are in an orders article too',
    );
    const fallback = await helpCenter.search('I forgot my password', { preferTags: ['billing'] });
    assert.equal(fallback[0]?.articleId, 'password-reset');
  });
});

describe('live updates', () => {
  test('adding, changing and removing files rebuilds the index without a restart', async () => {
    const folder = tempDir();
    try {
      cpSync(path.join(NOTES_DIR, 'sharing'), path.join(folder.dir, 'sharing'), { recursive: true });
      const helpCenter = new HelpCenter({ dir: folder.dir, log: silent, watch: true, debounceMs: 50 });
      let reloads = 0;
      helpCenter.onReload = () => reloads++;
      await helpCenter.ready;
      reloads = 0;
      assert.deepEqual(await helpCenter.search('how do I export my notes'), []);

      mkdirSync(path.join(folder.dir, 'account'));
      cpSync(path.join(NOTES_DIR, 'account/export-notes.txt'), path.join(folder.dir, 'account/export-notes.txt'));
      await waitFor(async () => (await helpCenter.search('how do I export my notes'))[0], 'the new article is found');
      assert.equal(helpCenter.size.articles, 2);

      writeFileSync(
        path.join(folder.dir, 'account/export-notes.txt'),
        'Export all your notes\n\nExports are now ready within five minutes, as a ZIP of Markdown files.\n',
      );
      await waitFor(
        async () => /five minutes/.test((await helpCenter.search('how do I export my notes'))[0]?.text ?? ''),
        'the changed text is searched',
      );

      rmSync(path.join(folder.dir, 'sharing'), { recursive: true });
      await waitFor(async () => helpCenter.size.articles === 1, 'the removed article is gone');
      assert.deepEqual(await helpCenter.search('share a notebook with my team'), []);
      assert.ok(reloads >= 3, `rebuilt per change (${reloads})`);
      await helpCenter.close();
    } finally {
      folder.remove();
    }
  });

  test('a rebuild that fails keeps the index in use', async () => {
    const folder = tempDir();
    try {
      cpSync(path.join(NOTES_DIR, 'sharing'), path.join(folder.dir, 'sharing'), { recursive: true });
      const { log, lines } = capturingLogger();
      const helpCenter = new HelpCenter({ dir: folder.dir, log, watch: true, debounceMs: 50 });
      await helpCenter.ready;
      // The folder itself goes away (an unmounted volume): nothing can be read, so the old index stays.
      rmSync(folder.dir, { recursive: true });
      await waitFor(() => lines.some((l) => l.msg === 'knowledge.load_failed'), 'the failed rebuild is logged');
      assert.equal(
        (await helpCenter.search('share a notebook with my team'))[0]?.articleId,
        'sharing/share-a-notebook',
      );
      await helpCenter.close();
    } finally {
      folder.remove();
    }
  });
});
