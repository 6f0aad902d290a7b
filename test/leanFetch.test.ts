import assert from 'node:assert/strict';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, test } from 'node:test';
import { leanFetch } from '../src/ops/leanFetch.js';

type Seen = { method: string; url: string; headers: IncomingMessage['headers']; body: string };

describe('leanFetch: the fetch the model and Slack clients use, over a real HTTP server', () => {
  let server: Server;
  let base: string;
  const seen: Seen[] = [];
  let releaseStream: (() => void) | undefined;

  before(async () => {
    server = createServer(async (req, res) => {
      let body = '';
      for await (const chunk of req) body += chunk;
      seen.push({ method: req.method!, url: req.url!, headers: req.headers, body });
      if (req.url === '/json') {
        res.writeHead(201, {
          'content-type': 'application/json',
          'x-request-id': 'req-1',
          'set-cookie': ['a=1', 'b=2'],
        });
        return res.end(JSON.stringify({ echoed: body }));
      }
      if (req.url === '/big-error')
        return res.writeHead(500, { 'content-type': 'text/plain' }).end('x'.repeat(200_000));
      if (req.url === '/moved') return res.writeHead(302, { location: '/json' }).end();
      if (req.url === '/slow') return; // never answers: the caller aborts
      if (req.url === '/stream') {
        res.writeHead(200, { 'content-type': 'text/event-stream' });
        res.write('data: one\n\n');
        releaseStream = () => res.end('data: two\n\n');
        return;
      }
      res.writeHead(404).end('no such path');
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  after(() => {
    server.closeAllConnections();
    server.close();
  });

  test('sends method, headers (object, Headers or pairs) and body, and answers status, headers and JSON', async () => {
    const fetch = leanFetch();
    const forms: HeadersInit[] = [
      { 'Content-Type': 'application/json', Authorization: 'Bearer sk-test' },
      new Headers({ 'content-type': 'application/json', authorization: 'Bearer sk-test' }),
      [
        ['content-type', 'application/json'],
        ['authorization', 'Bearer sk-test'],
      ],
    ];
    for (const headers of forms) {
      seen.length = 0;
      const response = await fetch(`${base}/json`, { method: 'POST', headers, body: '{"q":1}' });
      assert.equal(response.status, 201);
      assert.equal(response.ok, true);
      assert.equal(response.url, `${base}/json`);
      assert.equal(response.headers.get('Content-Type'), 'application/json');
      assert.equal(response.headers.get('x-request-id'), 'req-1');
      assert.equal(response.headers.get('set-cookie'), 'a=1, b=2');
      assert.deepEqual(await response.json(), { echoed: '{"q":1}' });
      assert.equal(seen[0]!.method, 'POST');
      assert.equal(seen[0]!.headers.authorization, 'Bearer sk-test');
      assert.equal(seen[0]!.headers['content-type'], 'application/json');
      assert.equal(seen[0]!.body, '{"q":1}');
    }
  });

  test('a failed status is a response, not an error, and its text can be read', async () => {
    const response = await leanFetch()(`${base}/missing`);
    assert.equal(response.status, 404);
    assert.equal(response.ok, false);
    assert.equal(await response.text(), 'no such path');
  });

  test('a failed call that is never read still frees its connection for the next call', {
    timeout: 10_000,
  }, async () => {
    // openai skips the body of a 429 or 5xx it retries. On one connection, a large unread body that held its socket
    // left the next call waiting for undici's body timeout (300 s).
    const fetch = leanFetch({ connections: 1 });
    const first = await fetch(`${base}/big-error`);
    assert.equal(first.status, 500);
    assert.equal(first.statusText, 'Internal Server Error');
    const second = await fetch(`${base}/big-error`);
    assert.equal((await second.text()).length, 200_000);
  });

  test('the body arrives as it is sent, as an async iterable of bytes', async () => {
    const response = await leanFetch()(`${base}/stream`);
    const parts: string[] = [];
    for await (const chunk of response.body as unknown as AsyncIterable<Uint8Array>) {
      parts.push(Buffer.from(chunk).toString('utf8'));
      // The first event is read before the server has finished the response.
      if (parts.length === 1) releaseStream!();
    }
    assert.equal(parts.join(''), 'data: one\n\ndata: two\n\n');
    assert.equal(parts[0], 'data: one\n\n');
  });

  test('follows a redirect by default, as fetch does; with redirect "error" the call fails instead', async () => {
    const followed = await leanFetch()(`${base}/moved`, { method: 'GET' });
    assert.equal(followed.status, 201);
    assert.deepEqual(await followed.json(), { echoed: '' });
    await assert.rejects(leanFetch()(`${base}/moved`, { redirect: 'error' }), /redirected \(302\)/);
    const manual = await leanFetch()(`${base}/moved`, { redirect: 'manual' });
    assert.equal(manual.status, 302);
    assert.equal(manual.headers.get('location'), '/json');
  });

  test('an aborted call rejects with an AbortError', async () => {
    const controller = new AbortController();
    const call = leanFetch()(`${base}/slow`, { signal: controller.signal });
    // Abort once the server has the request, so the abort ends a call in flight.
    while (!seen.some((s) => s.url === '/slow')) await new Promise((resolve) => setImmediate(resolve));
    controller.abort();
    await assert.rejects(call, (error: Error) => error.name === 'AbortError');
  });

  test('a form body goes through the bundled fetch, and arrives as multipart', async () => {
    seen.length = 0;
    const form = new FormData();
    form.set('file', new Blob(['hello']), 'a.txt');
    const response = await leanFetch()(`${base}/json`, { method: 'POST', body: form });
    assert.equal(response.status, 201);
    assert.match(String(seen[0]!.headers['content-type']), /^multipart\/form-data; boundary=/);
    assert.match(seen[0]!.body, /hello/);
  });

  test('a refused connection rejects, so the clients retry or report it', async () => {
    const closed = createServer();
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
    const port = (closed.address() as AddressInfo).port;
    await new Promise((resolve) => closed.close(resolve));
    await assert.rejects(leanFetch()(`http://127.0.0.1:${port}/json`), /ECONNREFUSED/);
  });
});
