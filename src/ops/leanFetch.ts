/**
 * A `fetch` for the `openai` and `@slack/web-api` clients that sends through undici's `request` instead of the WHATWG
 * fetch Node bundles. Both clients make one small JSON request per call; under a burst of a thousand threads the
 * bundled fetch's Request, Headers and web-stream plumbing (and the garbage it leaves) cost more CPU than the rest of
 * the call (bench/endToEnd.ts). undici is already installed: it is @slack/socket-mode's peer dependency.
 *
 * What it answers with is a Response for what these clients read: status, headers, url, text(), json(),
 * arrayBuffer(), and a body they iterate (openai's server-sent events). Requests it cannot send this way (a Request
 * object, a form or stream body, a redirect to follow) go to the bundled fetch unchanged.
 */
import { Agent, type Dispatcher, interceptors, request } from 'undici';

type Body = Dispatcher.ResponseData['body'];

/** The part of a Response the clients read, over undici's body (a Node stream with text(), json() and arrayBuffer()). */
class LeanResponse {
  readonly ok: boolean;
  readonly statusText = '';
  readonly redirected = false;
  readonly type = 'basic';
  readonly headers: Headers;

  constructor(
    readonly url: string,
    readonly status: number,
    headers: Dispatcher.ResponseData['headers'],
    readonly body: Body,
  ) {
    this.ok = status >= 200 && status < 300;
    const list = new Headers();
    for (const [name, value] of Object.entries(headers)) {
      if (value === undefined) continue;
      for (const one of Array.isArray(value) ? value : [value]) list.append(name, one);
    }
    this.headers = list;
  }

  get bodyUsed(): boolean {
    return this.body.bodyUsed;
  }
  text(): Promise<string> {
    return this.body.text();
  }
  json(): Promise<unknown> {
    return this.body.json();
  }
  arrayBuffer(): Promise<ArrayBuffer> {
    return this.body.arrayBuffer();
  }
}

function headerList(headers: HeadersInit | undefined): Record<string, string> {
  if (!headers) return {};
  const list: Record<string, string> = {};
  const entries = headers instanceof Headers || Array.isArray(headers) ? headers : Object.entries(headers);
  for (const [name, value] of entries) {
    const key = name.toLowerCase();
    list[key] = key in list ? `${list[key]}, ${value}` : value;
  }
  return list;
}

const sendable = (body: unknown): body is string | Uint8Array | undefined | null =>
  body === undefined || body === null || typeof body === 'string' || body instanceof Uint8Array;

/** A fetch over its own keep-alive pool per origin (undici's defaults: no cap on sockets, as the bundled fetch). */
export function leanFetch(): typeof fetch {
  const pool = new Agent();
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
    return new LeanResponse(url, response.statusCode, response.headers, response.body) as unknown as Response;
  }) as typeof fetch;
}
