import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Duplex } from 'node:stream';
import { type RawData, WebSocket, WebSocketServer } from 'ws';

export const TEAM_ID = 'T0TEAM0001';
export const BOT_USER_ID = 'U0BOT00001';
export const BOT_ID = 'B0BOT00001';
export const APP_ID = 'A0APP00001';

export interface SlackCall {
  method: string;
  args: Record<string, unknown>;
  token: string | undefined;
  /** When the request arrived (performance.now()). */
  at: number;
  /** What the fake answered: HTTP status and JSON body. */
  status?: number;
  response?: unknown;
}

export interface ScriptedResponse {
  status?: number;
  headers?: Record<string, string>;
  body?: unknown;
  /** Close the connection without answering, as a network failure or a restarting load balancer does. */
  drop?: boolean;
}

export interface SocketAck {
  envelopeId: string;
  payload: unknown;
  /** Which Socket Mode connection acked it: 1 for the first the fake greeted, 2 for the next, and so on. */
  connection: number;
}

export interface FakeSlackOptions {
  /**
   * Spread envelopes over every open connection in turn, as Slack does for an app with several (up to 10). By
   * default each goes to the newest connection, the one a reconnecting client has just opened.
   */
  spread?: boolean;
}

export type EnvelopeType = 'events_api' | 'interactive' | 'slash_commands';

export interface EnvelopeOptions {
  retryAttempt?: number;
  retryReason?: string;
  timeoutMs?: number;
}

const DEFAULT_WAIT_MS = 5_000;
const POLL_INTERVAL_MS = 10;
const CLOSE_HANDSHAKE_MS = 1_000;
const FIRST_TS_MICROS = 1_700_000_000_000_000;
const TS_STEP_MICROS = 100;
/** The legacy verification token Slack still puts in event and interaction bodies. */
export const VERIFICATION_TOKEN = 'fake-verification-token';
/** Free text is never JSON-decoded, even when a user typed something that looks like JSON. */
const FREE_TEXT_FIELDS = new Set(['text', 'markdown_text', 'title', 'status']);
/** Interactive payloads whose ack may carry a response (Slack sets accepts_response_payload for these). */
const RESPONSE_PAYLOAD_TYPES = new Set(['view_submission', 'block_suggestion']);

interface PendingAck {
  socket: WebSocket;
  resolve: (ack: SocketAck) => void;
  reject: (error: Error) => void;
  timer: NodeJS.Timeout;
}

/**
 * A Slack platform on 127.0.0.1:0 for the real @slack/bolt, @slack/web-api and @slack/socket-mode:
 * the Web API at POST /api/<method> (every call recorded) and a Socket Mode WebSocket at /socket.
 * Stop a Socket Mode app before closing the fake: otherwise its client reconnects about 5 s later, fails to reach
 * apps.connections.open and @slack/socket-mode leaves that rejection unhandled, which kills the process.
 */
export class FakeSlack {
  readonly calls: SlackCall[] = [];
  /** conversations.members answers from here: channel id → member user ids. */
  readonly channelMembers = new Map<string, string[]>();
  /** users.info answers with these display names (others get `user-<id>`). */
  readonly displayNames = new Map<string, string>();
  /** users.info includes these profile emails, as Slack does for an app with `users:read.email` (others have none). */
  readonly emails = new Map<string, string>();
  /** Every envelope ack the Socket Mode client sent, in arrival order. */
  readonly acks: SocketAck[] = [];
  private readonly onceResponses = new Map<string, ScriptedResponse[]>();
  private readonly holds = new Map<string, Array<Promise<void>>>();
  private readonly alwaysResponses = new Map<string, ScriptedResponse>();
  private readonly pendingAcks = new Map<string, PendingAck>();
  private readonly wss = new WebSocketServer({ noServer: true });
  private server: Server | undefined;
  private port = 0;
  private tsSequence = 0;
  private socket: WebSocket | undefined;
  private greetedSocket: WebSocket | undefined;
  /** Every greeted connection by number, while it is open. */
  private readonly open = new Map<WebSocket, number>();
  private greeted = 0;
  private turn = 0;

  constructor(private readonly options: FakeSlackOptions = {}) {}

  get apiUrl(): string {
    return `http://127.0.0.1:${this.port}/api/`;
  }

  /** Returned by apps.connections.open; the Socket Mode client opens it verbatim. */
  get socketUrl(): string {
    return `ws://127.0.0.1:${this.port}/socket`;
  }

  async start(): Promise<this> {
    const server = createServer((req, res) => void this.handle(req, res));
    server.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) => this.upgrade(req, socket, head));
    this.server = server;
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    this.port = (server.address() as AddressInfo).port;
    return this;
  }

  async close(): Promise<void> {
    for (const [envelopeId, pending] of this.pendingAcks) this.failAck(envelopeId, pending, 'the fake was closed');
    await Promise.all([...this.wss.clients].map(closeGracefully));
    await new Promise<void>((resolve) => this.wss.close(() => resolve()));
    const server = this.server;
    if (!server) return;
    this.server = undefined;
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }

  callsTo(method: string): SlackCall[] {
    return this.calls.filter((call) => call.method === method);
  }

  /** Resolves with the first recorded call (past or future) of `method` that matches `predicate`. */
  async waitForCall(
    method: string,
    predicate?: (call: SlackCall) => boolean,
    timeoutMs = DEFAULT_WAIT_MS,
  ): Promise<SlackCall> {
    const until = Date.now() + timeoutMs;
    for (;;) {
      const found = this.calls.find((call) => call.method === method && (predicate?.(call) ?? true));
      if (found) return found;
      if (Date.now() > until) {
        const seen = this.calls.map((call) => call.method).join(', ') || 'none';
        throw new Error(
          `fake slack: no ${method} call${predicate ? ' matching the predicate' : ''} within ${timeoutMs} ms; calls seen: ${seen}`,
        );
      }
      await new Promise((resolve) => setTimeout(resolve, POLL_INTERVAL_MS));
    }
  }

  /** The next call of `method` gets this response instead of the default; queued in order. */
  respondOnce(method: string, response: ScriptedResponse): void {
    const queue = this.onceResponses.get(method) ?? [];
    queue.push(response);
    this.onceResponses.set(method, queue);
  }

  /** Every call of `method` gets this response (after any respondOnce queue); undefined restores the default. */
  respondAlways(method: string, response: ScriptedResponse | undefined): void {
    if (response === undefined) this.alwaysResponses.delete(method);
    else this.alwaysResponses.set(method, response);
  }

  /**
   * The next call of `method` is recorded when it arrives but answered (as it would have been) only once the returned
   * function is called, as a slow Slack would: what the client does meanwhile can be driven and checked.
   */
  holdNext(method: string): () => void {
    let release!: () => void;
    const queue = this.holds.get(method) ?? [];
    queue.push(new Promise<void>((resolve) => (release = resolve)));
    this.holds.set(method, queue);
    return () => release();
  }

  /** The next `count` calls of `method` fail (a 500 unless told otherwise); the calls after them succeed again. */
  failNext(method: string, count: number, failure: ScriptedResponse = { status: 500 }): void {
    for (let i = 0; i < count; i++) this.respondOnce(method, failure);
  }

  /** A strictly increasing message ts: 1700000000.000100, 1700000000.000200, ... */
  nextTs(): string {
    const micros = FIRST_TS_MICROS + ++this.tsSequence * TS_STEP_MICROS;
    return `${Math.floor(micros / 1_000_000)}.${String(micros % 1_000_000).padStart(6, '0')}`;
  }

  /** Resolves once a Socket Mode client is connected and has been sent the hello frame. */
  async waitForSocket(timeoutMs = DEFAULT_WAIT_MS): Promise<void> {
    const until = Date.now() + timeoutMs;
    while (!this.connectedSocket()) {
      if (Date.now() > until)
        throw new Error(
          `fake slack: no Socket Mode client connected within ${timeoutMs} ms (apps.connections.open calls: ${this.callsTo('apps.connections.open').length})`,
        );
      await new Promise((resolve) => setTimeout(resolve, POLL_INTERVAL_MS));
    }
  }

  /** Resolves once `count` Socket Mode connections are open and greeted. */
  async waitForSockets(count: number, timeoutMs = DEFAULT_WAIT_MS): Promise<void> {
    const until = Date.now() + timeoutMs;
    while (this.open.size < count) {
      if (Date.now() > until)
        throw new Error(`fake slack: ${this.open.size} of ${count} Socket Mode connections open after ${timeoutMs} ms`);
      await new Promise((resolve) => setTimeout(resolve, POLL_INTERVAL_MS));
    }
  }

  /** Sends an envelope to the most recent client (or, spreading, to the next in turn) and resolves with its ack. */
  sendEnvelope(
    type: EnvelopeType,
    payload: unknown,
    opts: EnvelopeOptions = {},
  ): Promise<{ envelopeId: string; ackPayload?: unknown }> {
    const socket = this.options.spread ? this.nextSocket() : this.connectedSocket();
    if (!socket)
      return Promise.reject(new Error('fake slack: no Socket Mode client connected; await waitForSocket() first'));
    const envelopeId = randomUUID();
    const payloadType =
      typeof payload === 'object' && payload !== null ? (payload as { type?: unknown }).type : undefined;
    const envelope = {
      envelope_id: envelopeId,
      type,
      payload,
      accepts_response_payload:
        type === 'slash_commands' ||
        (type === 'interactive' && typeof payloadType === 'string' && RESPONSE_PAYLOAD_TYPES.has(payloadType)),
      retry_attempt: opts.retryAttempt ?? 0,
      retry_reason: opts.retryReason ?? '',
    };
    const timeoutMs = opts.timeoutMs ?? DEFAULT_WAIT_MS;
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        const pending = this.pendingAcks.get(envelopeId);
        if (pending) this.failAck(envelopeId, pending, `not acked within ${timeoutMs} ms`);
      }, timeoutMs);
      this.pendingAcks.set(envelopeId, {
        socket,
        timer,
        reject,
        resolve: (ack) => resolve({ envelopeId: ack.envelopeId, ackPayload: ack.payload }),
      });
      socket.send(JSON.stringify(envelope), (error) => {
        const pending = this.pendingAcks.get(envelopeId);
        if (error && pending) this.failAck(envelopeId, pending, `send failed: ${error.message}`);
      });
    });
  }

  /** Asks the client to reconnect, as Slack does when it recycles a connection. */
  disconnectSocket(reason = 'refresh_requested'): void {
    this.connectedSocket()?.send(JSON.stringify({ type: 'disconnect', reason, debug_info: { host: 'fake' } }));
  }

  private nextSocket(): WebSocket | undefined {
    const open = [...this.open.keys()].filter((socket) => socket.readyState === WebSocket.OPEN);
    return open.length ? open[this.turn++ % open.length] : undefined;
  }

  private connectedSocket(): WebSocket | undefined {
    const socket = this.socket;
    return socket && socket === this.greetedSocket && socket.readyState === WebSocket.OPEN ? socket : undefined;
  }

  private failAck(envelopeId: string, pending: PendingAck, why: string): void {
    clearTimeout(pending.timer);
    this.pendingAcks.delete(envelopeId);
    pending.reject(new Error(`fake slack: envelope ${envelopeId} ${why}`));
  }

  private upgrade(req: IncomingMessage, socket: Duplex, head: Buffer): void {
    if (new URL(req.url ?? '/', 'http://127.0.0.1').pathname !== '/socket') {
      socket.end('HTTP/1.1 404 Not Found\r\nconnection: close\r\n\r\n');
      return;
    }
    this.wss.handleUpgrade(req, socket, head, (ws) => this.greet(ws));
  }

  private greet(ws: WebSocket): void {
    this.socket = ws;
    ws.on('error', () => undefined);
    ws.on('message', (data: RawData, isBinary: boolean) => this.receive(ws, data, isBinary));
    ws.on('close', () => {
      this.open.delete(ws);
      for (const [envelopeId, pending] of this.pendingAcks) {
        if (pending.socket === ws) this.failAck(envelopeId, pending, 'lost: the socket closed before the ack');
      }
    });
    const hello = {
      type: 'hello',
      num_connections: this.open.size + 1,
      debug_info: { host: 'fake', approximate_connection_time: 18060 },
      connection_info: { app_id: APP_ID },
    };
    ws.send(JSON.stringify(hello), (error) => {
      if (error) return;
      this.greetedSocket = ws;
      this.open.set(ws, ++this.greeted);
    });
  }

  private receive(ws: WebSocket, data: RawData, isBinary: boolean): void {
    if (isBinary) return;
    let frame: unknown;
    try {
      const bytes = Array.isArray(data) ? Buffer.concat(data) : Buffer.isBuffer(data) ? data : Buffer.from(data);
      frame = JSON.parse(bytes.toString('utf8'));
    } catch {
      return;
    }
    if (typeof frame !== 'object' || frame === null) return;
    const { envelope_id: envelopeId, payload } = frame as { envelope_id?: unknown; payload?: unknown };
    if (typeof envelopeId !== 'string') return;
    const ack = { envelopeId, payload, connection: this.open.get(ws) ?? 0 };
    this.acks.push(ack);
    const pending = this.pendingAcks.get(envelopeId);
    if (!pending) return;
    clearTimeout(pending.timer);
    this.pendingAcks.delete(envelopeId);
    pending.resolve(ack);
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const path = new URL(req.url ?? '/', 'http://127.0.0.1').pathname;
    if (req.method !== 'POST' || !path.startsWith('/api/')) {
      res
        .writeHead(404, { 'content-type': 'application/json' })
        .end(JSON.stringify({ ok: false, error: 'unknown_method' }));
      return;
    }
    const args = await decodeArgs(Buffer.concat(chunks), req.headers['content-type'] ?? '');
    const bearer = /^Bearer\s+(\S+)$/i.exec(req.headers.authorization ?? '')?.[1];
    const bodyToken = typeof args.token === 'string' ? args.token : undefined;
    delete args.token;
    const call: SlackCall = {
      method: path.slice('/api/'.length),
      args,
      token: bearer ?? bodyToken,
      at: performance.now(),
    };
    this.calls.push(call);
    await this.holds.get(call.method)?.shift();
    const scripted = this.onceResponses.get(call.method)?.shift() ?? this.alwaysResponses.get(call.method);
    if (scripted?.drop) {
      call.status = 0;
      res.socket?.destroy();
      return;
    }
    const status = scripted?.status ?? 200;
    const body = scripted
      ? (scripted.body ?? (status === 429 ? { ok: false, error: 'ratelimited' } : { ok: true }))
      : this.defaultBody(call);
    call.status = status;
    call.response = body;
    res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', ...scripted?.headers });
    res.end(JSON.stringify(body));
  }

  private defaultBody({ method, args }: SlackCall): Record<string, unknown> {
    const channel = args.channel;
    switch (method) {
      case 'auth.test':
        return {
          ok: true,
          url: 'https://fake.slack.test/',
          team: 'Fake Team',
          user: 'switchboard',
          team_id: TEAM_ID,
          user_id: BOT_USER_ID,
          bot_id: BOT_ID,
          is_enterprise_install: false,
        };
      case 'chat.postMessage': {
        const ts = this.nextTs();
        const threadTs = args.thread_ts === undefined ? {} : { thread_ts: args.thread_ts };
        return {
          ok: true,
          channel,
          ts,
          message: { type: 'message', text: args.text, user: BOT_USER_ID, bot_id: BOT_ID, ts, ...threadTs },
        };
      }
      case 'chat.update':
        return { ok: true, channel, ts: args.ts, text: args.text };
      case 'chat.startStream':
        return { ok: true, channel, ts: this.nextTs() };
      case 'chat.appendStream':
      case 'chat.stopStream':
        return { ok: true, channel, ts: args.ts };
      case 'chat.postEphemeral':
        return { ok: true, message_ts: this.nextTs() };
      case 'apps.connections.open':
        return { ok: true, url: this.socketUrl };
      case 'conversations.replies':
        return { ok: true, messages: [], has_more: false };
      case 'conversations.members': {
        if (typeof channel !== 'string') return { ok: false, error: 'channel_not_found' };
        return {
          ok: true,
          members: this.channelMembers.get(channel) ?? [BOT_USER_ID],
          response_metadata: { next_cursor: '' },
        };
      }
      case 'users.info': {
        const id = String(args.user);
        const name = this.displayNames.get(id) ?? `user-${id.toLowerCase()}`;
        const email = this.emails.get(id);
        const profile = { display_name: name, real_name: name, ...(email ? { email } : {}) };
        return { ok: true, user: { id, team_id: TEAM_ID, name: id.toLowerCase(), real_name: name, profile } };
      }
      case 'chat.getPermalink':
        return {
          ok: true,
          channel,
          permalink: `https://fake.slack.test/archives/${String(channel)}/p${String(args.message_ts).replace('.', '')}`,
        };
      default:
        return { ok: true };
    }
  }
}

/**
 * Bolt's app.stop() in Socket Mode returns before the client's close handshake is done; terminating the socket then
 * makes the client log a WebSocket error (and can leave a rejected promise), so finish the handshake first.
 */
function closeGracefully(socket: WebSocket): Promise<void> {
  if (socket.readyState === WebSocket.CLOSED) return Promise.resolve();
  return new Promise((resolve) => {
    const timer = setTimeout(() => socket.terminate(), CLOSE_HANDSHAKE_MS);
    socket.once('close', () => {
      clearTimeout(timer);
      resolve();
    });
    if (socket.readyState === WebSocket.OPEN) socket.close(1001, 'fake slack closing');
  });
}

/** WebClient sends url-encoded forms (objects as JSON strings), multipart when a Buffer is among the arguments. */
async function decodeArgs(raw: Buffer, contentType: string): Promise<Record<string, unknown>> {
  if (contentType.startsWith('application/json')) {
    const parsed: unknown = raw.length ? JSON.parse(raw.toString('utf8')) : {};
    return typeof parsed === 'object' && parsed !== null ? { ...(parsed as Record<string, unknown>) } : {};
  }
  const entries: Array<[string, unknown]> = [];
  if (contentType.startsWith('multipart/form-data')) {
    const form = await new Response(new Blob([new Uint8Array(raw)]), {
      headers: { 'content-type': contentType },
    }).formData();
    form.forEach((value, key) => {
      entries.push([key, typeof value === 'string' ? value : { name: value.name, size: value.size, type: value.type }]);
    });
  } else {
    for (const [key, value] of new URLSearchParams(raw.toString('utf8'))) entries.push([key, value]);
  }
  return Object.fromEntries(
    entries.map(([key, value]) => [key, typeof value === 'string' ? decodeFormValue(key, value) : value]),
  );
}

function decodeFormValue(key: string, value: string): unknown {
  if (FREE_TEXT_FIELDS.has(key) || (value[0] !== '[' && value[0] !== '{')) return value;
  try {
    return JSON.parse(value) as unknown;
  } catch {
    return value;
  }
}
