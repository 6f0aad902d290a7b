/**
 * A `fetch` for the `openai` and `@slack/web-api` clients that sends through undici's `request` instead of the WHATWG
 * fetch Node bundles. Both clients make one small JSON request per call; under a burst of a thousand threads the
 * bundled fetch's Request, Headers and web-stream plumbing (and the garbage it leaves) cost more CPU than the rest of
 * the call (bench/endToEnd.ts). undici is already installed: it is @slack/socket-mode's peer dependency.
 *
 * What it answers with is a Response for what these clients read: status, headers, url, text(), json(),
 * arrayBuffer(), and a body they iterate (openai's server-sent events). Requests it cannot send this way (a Request
 * object, a form or stream body) go to the bundled fetch unchanged.
 */
import { Readable } from 'node:stream';
import { Agent, type Dispatcher, interceptors, request } from 'undici';

type Body = Dispatcher.ResponseData['body'];

const succeeded = (status: number) => status >= 200 && status < 300;

/**
 * The part of a Response the clients read. A success keeps undici's body (a Node stream with text(), json() and
 * arrayBuffer()) for the caller to stream. A failure's body is read at once: clients often skip it before a retry,
 * and openai's "cancel" of an async-iterable body that was never read does not release it, which kept a socket
 * busy until undici's body timeout.
 */
class LeanResponse {
  readonly ok: boolean;
  readonly headers: Headers;
  readonly body: AsyncIterable<Uint8Array>;
  private readonly read: Pick<Body, 'text' | 'json' | 'arrayBuffer'>;

  constructor(
    readonly url: string,
    readonly status: number,
    readonly statusText: string,
    headers: Dispatcher.ResponseData['headers'],
    body: Body | Buffer,
  ) {
    this.ok = succeeded(status);
    const list = new Headers();
    for (const [name, value] of Object.entries(headers)) {
      if (value === undefined) continue;
      for (const one of Array.isArray(value) ? value : [value]) list.append(name, one);
    }
    this.headers = list;
    if (Buffer.isBuffer(body)) {
      this.body = Readable.from([body]);
      this.read = {
        text: async () => body.toString('utf8'),
        json: async () => JSON.parse(body.toString('utf8')),
        arrayBuffer: async () => body.buffer.slice(body.byteOffset, body.byteOffset + body.byteLength) as ArrayBuffer,
      };
    } else {
      this.body = body;
      this.read = body;
    }
  }

  text(): Promise<string> {
    return this.read.text();
  }
  json(): Promise<unknown> {
    return this.read.json();
  }
  arrayBuffer(): Promise<ArrayBuffer> {
    return this.read.arrayBuffer();
  }
}

function headerList(headers: HeadersInit | undefined): Record<string, string> {
  if (!headers) return {};
  const list: Record<string, string> = {};
  // Headers of any implementation, and pairs, iterate; a plain object does not.
  const entries: Iterable<[string, string]> =
    Symbol.iterator in headers ? (headers as Iterable<[string, string]>) : Object.entries(headers);
  for (const [name, value] of entries) {
    const key = name.toLowerCase();
    list[key] = key in list ? `${list[key]}, ${value}` : value;
  }
  return list;
}

const sendable = (body: unknown): body is string | Uint8Array | undefined | null =>
  body === undefined || body === null || typeof body === 'string' || body instanceof Uint8Array;

/**
 * A fetch over its own keep-alive pool per origin. By default the pool has no cap on sockets, as the bundled fetch;
 * `connections` caps each origin's (the rest queue).
 */
export function leanFetch(options: { connections?: number } = {}): typeof fetch {
  const pool = new Agent({ connections: options.connections ?? null });
  // fetch follows redirects unless told not to; with `redirect: 'error'` (Slack's) a 3xx fails the call.
  const following = pool.compose(interceptors.redirect({ maxRedirections: 20 }));
  return (async (input: string | URL | Request, init?: RequestInit) => {
    if (!(typeof input === 'string' || input instanceof URL) || !sendable(init?.body)) return fetch(input, init);
    const url = String(input);
    const dispatcher = init?.redirect === 'error' || init?.redirect === 'manual' ? pool : following;
    const response = await request(url, {
      method: (init?.method ?? 'GET') as Dispatcher.HttpMethod,
      headers: headerList(init?.headers),
      body: init?.body ?? undefined,
      signal: init?.signal ?? undefined,
      dispatcher,
    });
    if (init?.redirect === 'error' && response.statusCode >= 300 && response.statusCode < 400) {
      await response.body.dump();
      throw new TypeError(`fetch failed: ${url} redirected (${response.statusCode}) and redirect is 'error'`);
    }
    const { statusCode, statusText, headers, body } = response;
    const kept = succeeded(statusCode) ? body : Buffer.from(await body.arrayBuffer());
    return new LeanResponse(url, statusCode, statusText, headers, kept) as unknown as Response;
  }) as typeof fetch;
}
