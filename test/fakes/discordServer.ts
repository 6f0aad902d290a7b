import { randomBytes } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse, STATUS_CODES } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Duplex } from 'node:stream';
import {
  type APIAttachment,
  type APIBaseInteraction,
  type APIChatInputApplicationCommandInteraction,
  type APIDMChannel,
  type APIEmbed,
  type APIGuildMemberNoUser,
  type APIMessage,
  type APIMessageComponentButtonInteraction,
  type APIRole,
  type APITextChannel,
  type APIThreadChannel,
  type APIUser,
  ApplicationCommandOptionType,
  ApplicationCommandType,
  type ApplicationFlags,
  ChannelType,
  ComponentType,
  GatewayDispatchEvents,
  type GatewayGuildCreateDispatchData,
  GatewayIntentBits,
  type GatewayMessageCreateDispatchData,
  GatewayOpcodes,
  type GatewayReadyDispatchData,
  type GuildMemberFlags,
  type GuildSystemChannelFlags,
  InteractionContextType,
  InteractionResponseType,
  InteractionType,
  Locale,
  MessageFlags,
  MessageType,
  PermissionFlagsBits,
  type RoleFlags,
} from 'discord.js';
import { type RawData, WebSocket, WebSocketServer } from 'ws';

export const APPLICATION_ID = '1100000000000000001';
/** The bot user's id equals the application id, as on Discord. */
export const BOT_USER_ID = '1100000000000000001';
export const GUILD_ID = '1200000000000000001';
/** A guild text channel named 'support'. */
export const TEXT_CHANNEL_ID = '1300000000000000001';
/** Another guild text channel, named 'general'. */
export const OTHER_CHANNEL_ID = '1300000000000000002';
export const CUSTOMER_ID = '1400000000000000001';
export const OTHER_USER_ID = '1400000000000000002';
/** The DM channel between the bot and the customer. */
export const DM_CHANNEL_ID = '1500000000000000001';
/** The bot's managed role; it carries the bot's permissions (@everyone has only member permissions). */
export const BOT_ROLE_ID = '1600000000000000001';
/** A guild text channel named 'staff', where escalation threads open. */
export const STAFF_CHANNEL_ID = '1300000000000000003';
/** The support team's role; STAFF_USER_ID holds it. */
export const STAFF_ROLE_ID = '1600000000000000002';
export const STAFF_USER_ID = '1400000000000000003';
/** The id /support has until the client registers commands (then the registered id is used). */
export const SUPPORT_COMMAND_ID = '1700000000000000001';

export const BOT_USER: APIUser = {
  id: BOT_USER_ID,
  username: 'Switchboard',
  discriminator: '0',
  global_name: null,
  avatar: null,
  bot: true,
};

export interface DiscordCall {
  method: string;
  /** Path after /api/v10, percent-decoded per segment: '/webhooks/1/tok/messages/@original'. */
  path: string;
  /** The path as it arrived: '@original' comes as '%40original'. */
  rawPath: string;
  query: Record<string, string>;
  /** Parsed JSON body, or the parsed payload_json of a multipart body. */
  body: unknown;
  files: FileUpload[];
  authorization: string | undefined;
  status: number;
  response: unknown;
  /** When the request arrived (performance.now()). */
  at: number;
}

export interface FileUpload {
  field: string;
  name: string;
  size: number;
  type: string;
}

export interface ScriptedResponse {
  status?: number;
  headers?: Record<string, string>;
  body?: unknown;
  /** Close the connection without answering, as a network failure or a restarting load balancer does. */
  drop?: boolean;
}

export interface FakeDiscordOptions {
  /** Discord answers 10062 Unknown interaction when the first response comes later than this. */
  interactionAckDeadlineMs?: number;
}

export interface FakeMessage {
  id: string;
  content: string;
  components: unknown;
  embeds: unknown;
  flags?: number;
}

export interface FakeThread {
  id: string;
  parentId: string;
  name: string;
  startedFrom: string | undefined;
}

export interface GatewayFrame {
  op: number;
  d: unknown;
  s: number | null;
  t: string | null;
}

const API_PREFIX = '/api/v10';
const GATEWAY_PATHS = new Set(['/gateway', '/gateway/']);
const HEARTBEAT_INTERVAL_MS = 41_250;
const DEFAULT_WAIT_MS = 5_000;
const POLL_INTERVAL_MS = 10;
const CLOSE_HANDSHAKE_MS = 1_000;
const INTERACTION_ACK_DEADLINE_MS = 3_000;
const MAX_MESSAGE_CHARS = 2_000;
const MAX_THREAD_NAME_CHARS = 100;
const REPLAY_LOG_LIMIT = 1_000;
const ATTACHMENT_SIZE_LIMIT_BYTES = 10 * 1024 * 1024;
const DISCORD_EPOCH_MS = 1_420_070_400_000n;
/** Someone who is neither the customer nor the other user, so that neither gets owner permissions. */
const GUILD_OWNER_ID = '1400000000000000009';
const JOINED_AT = '2024-01-01T00:00:00.000000+00:00';

const EVERYONE_PERMISSIONS = sumPermissions([
  'ViewChannel',
  'SendMessages',
  'SendMessagesInThreads',
  'CreatePublicThreads',
  'ReadMessageHistory',
  'EmbedLinks',
  'AttachFiles',
  'AddReactions',
  'UseExternalEmojis',
  'UseApplicationCommands',
  'CreateInstantInvite',
  'ChangeNickname',
]);
const BOT_PERMISSIONS = sumPermissions([
  'ViewChannel',
  'SendMessages',
  'SendMessagesInThreads',
  'CreatePublicThreads',
  'CreatePrivateThreads',
  'ManageThreads',
  'ManageMessages',
  'ReadMessageHistory',
  'EmbedLinks',
  'AttachFiles',
  'AddReactions',
  'UseExternalEmojis',
  'UseApplicationCommands',
]);
/** What a bot may do in a DM, as Discord reports it in app_permissions. */
const DM_PERMISSIONS = sumPermissions([
  'ViewChannel',
  'SendMessages',
  'ReadMessageHistory',
  'EmbedLinks',
  'AttachFiles',
  'AddReactions',
  'UseExternalEmojis',
]);

const KNOWN_USERS = new Map<string, APIUser>([
  [BOT_USER_ID, BOT_USER],
  [
    CUSTOMER_ID,
    { id: CUSTOMER_ID, username: 'casey', discriminator: '0', global_name: 'Casey Customer', avatar: null },
  ],
  [
    OTHER_USER_ID,
    { id: OTHER_USER_ID, username: 'olive', discriminator: '0', global_name: 'Olive Other', avatar: null },
  ],
]);

type Channel = APITextChannel | APIDMChannel | APIThreadChannel;
type Body = Record<string, unknown>;

interface Reply {
  status: number;
  /** Close the connection without answering (see ScriptedResponse). */
  drop?: boolean;
  body?: unknown;
  headers?: Record<string, string>;
  /** Runs after the HTTP response is written: Discord's gateway events follow the REST answer. */
  after?: () => void;
}

interface Route {
  method: string;
  pattern: RegExp;
  /** Interaction callbacks and webhooks are sent without the bot token. */
  noAuth?: boolean;
  handle: (call: DiscordCall, params: string[]) => Reply;
}

interface Script {
  method: string;
  pattern: RegExp;
  response: ScriptedResponse;
}

interface InteractionRecord {
  id: string;
  token: string;
  type: InteractionType;
  channelId: string;
  user: APIUser;
  sourceMessageId: string | undefined;
  createdAtMs: number;
  acknowledged: boolean;
  originalMessageId: string | undefined;
  webhookMessageIds: Set<string>;
}

interface GatewaySession {
  id: string;
  seq: number;
  intents: number;
  log: GatewayFrame[];
}

/**
 * A Discord platform on 127.0.0.1:0 for the real discord.js: REST under /api/v10 (every call recorded) and the gateway
 * WebSocket at /gateway (plain JSON frames). State is a single guild with two text channels, a DM with the customer and
 * whatever the bot creates. Destroy the discord.js client before closing the fake, or it keeps trying to reconnect.
 */
export class FakeDiscord {
  readonly calls: DiscordCall[] = [];
  /** Frames the client sent over the gateway (IDENTIFY, RESUME, heartbeats...), in arrival order. */
  readonly gatewayReceived: GatewayFrame[] = [];
  /** Frames the fake sent over the gateway, in order. */
  readonly gatewaySent: GatewayFrame[] = [];
  private readonly onceScripts: Script[] = [];
  private readonly holds: Array<{ method: string; pattern: RegExp; arrived: () => void; released: Promise<void> }> = [];
  private readonly alwaysScripts: Script[] = [];
  /** Guild roles of each user (the bot's own role aside); tests may grant more. */
  readonly memberRoles = new Map<string, string[]>([[STAFF_USER_ID, [STAFF_ROLE_ID]]]);
  private readonly channels = new Map<string, Channel>();
  private readonly messages = new Map<string, APIMessage>();
  private readonly threadStarters = new Map<string, string | undefined>();
  private readonly interactions = new Map<string, InteractionRecord>();
  private readonly commands = new Map<string, Body[]>();
  private readonly wss = new WebSocketServer({ noServer: true });
  private readonly ackDeadlineMs: number;
  private server: Server | undefined;
  private port = 0;
  private lastId = 0n;
  private socket: WebSocket | undefined;
  private readySocket: WebSocket | undefined;
  private session: GatewaySession | undefined;

  constructor(options: FakeDiscordOptions = {}) {
    this.ackDeadlineMs = options.interactionAckDeadlineMs ?? INTERACTION_ACK_DEADLINE_MS;
    this.channels.set(TEXT_CHANNEL_ID, textChannel(TEXT_CHANNEL_ID, 'support', 0));
    this.channels.set(OTHER_CHANNEL_ID, textChannel(OTHER_CHANNEL_ID, 'general', 1));
    this.channels.set(STAFF_CHANNEL_ID, textChannel(STAFF_CHANNEL_ID, 'staff', 2));
    this.channels.set(DM_CHANNEL_ID, dmChannel(DM_CHANNEL_ID, userFor(CUSTOMER_ID)));
  }

  get apiUrl(): string {
    return `http://127.0.0.1:${this.port}/api`;
  }

  get gatewayUrl(): string {
    return `ws://127.0.0.1:${this.port}/gateway`;
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
    await Promise.all([...this.wss.clients].map(closeGracefully));
    await new Promise<void>((resolve) => this.wss.close(() => resolve()));
    const server = this.server;
    if (!server) return;
    this.server = undefined;
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }

  callsTo(method: string, pathPattern: RegExp): DiscordCall[] {
    return this.calls.filter((call) => call.method === method.toUpperCase() && pathPattern.test(call.path));
  }

  /** Resolves with the first recorded call (past or future) of `method` on a matching path that satisfies `predicate`. */
  async waitForCall(
    method: string,
    pathPattern: RegExp,
    predicate?: (call: DiscordCall) => boolean,
    timeoutMs = DEFAULT_WAIT_MS,
  ): Promise<DiscordCall> {
    const until = Date.now() + timeoutMs;
    for (;;) {
      const found = this.callsTo(method, pathPattern).find((call) => predicate?.(call) ?? true);
      if (found) return found;
      if (Date.now() > until) {
        const seen = this.calls.map((call) => `${call.method} ${call.path}`).join(', ') || 'none';
        throw new Error(
          `fake discord: no ${method} ${pathPattern}${predicate ? ' matching the predicate' : ''} within ${timeoutMs} ms; calls seen: ${seen}`,
        );
      }
      await delay(POLL_INTERVAL_MS);
    }
  }

  /** The next matching call gets this response instead of the fake's behaviour (no state change, no gateway event); queued in order. */
  respondOnce(method: string, pathPattern: RegExp, response: ScriptedResponse): void {
    this.onceScripts.push({ method: method.toUpperCase(), pattern: pathPattern, response });
  }

  /**
   * The next matching call is answered (as it would have been) only once `release` is called, as a backed-up Discord
   * would; `arrived` resolves when it comes in.
   */
  holdNext(method: string, pathPattern: RegExp): { arrived: Promise<void>; release: () => void } {
    let arrived!: () => void;
    let release!: () => void;
    const arrival = new Promise<void>((resolve) => (arrived = resolve));
    const released = new Promise<void>((resolve) => (release = resolve));
    this.holds.push({ method: method.toUpperCase(), pattern: pathPattern, arrived, released });
    return { arrived: arrival, release };
  }

  /** The next `count` matching calls fail (a 500 unless told otherwise); the calls after them succeed again. */
  failNext(method: string, pathPattern: RegExp, count: number, failure: ScriptedResponse = { status: 500 }): void {
    for (let i = 0; i < count; i++) this.respondOnce(method, pathPattern, failure);
  }

  /** Every matching call gets this response (after any respondOnce); undefined removes it. */
  respondAlways(method: string, pathPattern: RegExp, response: ScriptedResponse | undefined): void {
    const index = this.alwaysScripts.findIndex(
      (s) => s.method === method.toUpperCase() && String(s.pattern) === String(pathPattern),
    );
    if (index >= 0) this.alwaysScripts.splice(index, 1);
    if (response) this.alwaysScripts.push({ method: method.toUpperCase(), pattern: pathPattern, response });
  }

  /** Resolves once a gateway client is identified (READY and GUILD_CREATE sent) or resumed, on the current connection. */
  async waitForReady(timeoutMs = DEFAULT_WAIT_MS): Promise<void> {
    const until = Date.now() + timeoutMs;
    while (!(this.readySocket && this.readySocket === this.socket && this.readySocket.readyState === WebSocket.OPEN)) {
      if (Date.now() > until) {
        const ops = this.gatewayReceived.map((frame) => frame.op).join(', ') || 'none';
        throw new Error(
          `fake discord: no gateway client ready within ${timeoutMs} ms (connected: ${Boolean(this.socket)}, ops received: ${ops})`,
        );
      }
      await delay(POLL_INTERVAL_MS);
    }
  }

  /**
   * Drops the gateway connection with `code` (4000 by default: discord.js resumes about 500 ms later and the fake
   * replays the events sent meanwhile). With resumable: false the session is forgotten, so the RESUME gets
   * INVALID_SESSION and the client identifies afresh; events sent in the gap are then lost, as on Discord. A second
   * IDENTIFY is throttled by @discordjs/ws to 5 s (+ up to 1.5 s) after the first, so give waitForReady about 8 s then.
   */
  reconnect(opts: { code?: number; resumable?: boolean } = {}): void {
    if (opts.resumable === false) this.session = undefined;
    const socket = this.socket;
    this.readySocket = undefined;
    socket?.close(opts.code ?? 4000, 'fake discord: reconnect');
  }

  /** A snowflake for now: increasing, and its timestamp (which discord.js reads as createdAt) is the current time. */
  nextId(): string {
    const fromClock = (BigInt(Date.now()) - DISCORD_EPOCH_MS) << 22n;
    this.lastId = fromClock > this.lastId ? fromClock : this.lastId + 1n;
    return this.lastId.toString();
  }

  /** Sends a raw dispatch (op 0) with the next sequence number; a MESSAGE_CREATE is also remembered in the fake's state. */
  dispatch(event: string, data: unknown): void {
    const session = this.session;
    if (!session)
      throw new Error(`fake discord: cannot dispatch ${event}: no gateway session; await waitForReady() first`);
    const frame: GatewayFrame = { op: GatewayOpcodes.Dispatch, t: event, s: ++session.seq, d: data };
    session.log.push(frame);
    if (session.log.length > REPLAY_LOG_LIMIT) session.log.shift();
    if (event === GatewayDispatchEvents.MessageCreate && isMessage(data) && !this.messages.has(data.id))
      this.messages.set(data.id, data);
    if (this.readySocket) this.send(this.readySocket, frame);
  }

  /**
   * Dispatches a MESSAGE_CREATE as a user (or another bot) posts it and returns the event payload. Like Discord, it is
   * not sent without the GuildMessages/DirectMessages intent, and a guild message that does not mention the bot
   * arrives with empty content without the MessageContent intent.
   */
  userMessage(opts: {
    channelId: string;
    content: string;
    authorId?: string;
    bot?: boolean;
    id?: string;
    guild?: boolean;
    mentionsBot?: boolean;
    /** Files sent with the message, by file name and MIME type. */
    attachments?: Array<{ filename: string; contentType?: string }>;
  }): GatewayMessageCreateDispatchData {
    const authorId = opts.authorId ?? CUSTOMER_ID;
    const guild = opts.guild ?? opts.channelId !== DM_CHANNEL_ID;
    if (!guild && !this.channels.has(opts.channelId))
      this.channels.set(opts.channelId, dmChannel(opts.channelId, userFor(authorId)));
    const mention = `<@${BOT_USER_ID}>`;
    const content = opts.mentionsBot && !opts.content.includes(mention) ? `${mention} ${opts.content}` : opts.content;
    const author = { ...userFor(authorId), ...(opts.bot === undefined ? {} : { bot: opts.bot }) };
    const message: APIMessage = { ...baseMessage(opts.id ?? this.nextId(), opts.channelId, author), content };
    if (opts.mentionsBot) message.mentions = [BOT_USER];
    message.attachments = (opts.attachments ?? []).map((file) => {
      const id = this.nextId();
      const url = `https://cdn.fake.discord.test/attachments/${opts.channelId}/${id}/${file.filename}`;
      return {
        id,
        filename: file.filename,
        size: 1024,
        url,
        proxy_url: url,
        ...(file.contentType ? { content_type: file.contentType } : {}),
      };
    });
    this.messages.set(message.id, message);
    const event = this.messageEvent(message, guild);
    if (this.wants(guild)) this.dispatch(GatewayDispatchEvents.MessageCreate, event);
    else if (!this.session) throw new Error('fake discord: no gateway session; await waitForReady() first');
    return event;
  }

  /** A button press on a message the bot posted: INTERACTION_CREATE type 3 (MESSAGE_COMPONENT). */
  pressButton(opts: { channelId: string; messageId: string; customId: string; userId: string; guild?: boolean }): {
    id: string;
    token: string;
  } {
    const message = this.messages.get(opts.messageId);
    if (!message) throw new Error(`fake discord: no message ${opts.messageId} to press a button on`);
    const guild = opts.guild ?? this.isGuildChannel(opts.channelId);
    const record = this.newInteraction(InteractionType.MessageComponent, opts.channelId, opts.userId, opts.messageId);
    const interaction: APIMessageComponentButtonInteraction = {
      ...this.interactionBase(record, guild),
      type: InteractionType.MessageComponent,
      data: { custom_id: opts.customId, component_type: ComponentType.Button },
      message,
    };
    this.dispatch(GatewayDispatchEvents.InteractionCreate, interaction);
    return { id: record.id, token: record.token };
  }

  /** A /support slash command with a `question` string option: INTERACTION_CREATE type 2 (APPLICATION_COMMAND). */
  slashCommand(opts: { channelId: string; userId: string; question: string; guild?: boolean }): {
    id: string;
    token: string;
  } {
    const guild = opts.guild ?? this.isGuildChannel(opts.channelId);
    const record = this.newInteraction(InteractionType.ApplicationCommand, opts.channelId, opts.userId, undefined);
    const registered = [...this.commands.values()].flat().find((command) => command.name === 'support');
    const interaction: APIChatInputApplicationCommandInteraction = {
      ...this.interactionBase(record, guild),
      type: InteractionType.ApplicationCommand,
      data: {
        id: typeof registered?.id === 'string' ? registered.id : SUPPORT_COMMAND_ID,
        name: 'support',
        type: ApplicationCommandType.ChatInput,
        options: [{ name: 'question', type: ApplicationCommandOptionType.String, value: opts.question }],
      },
    };
    this.dispatch(GatewayDispatchEvents.InteractionCreate, interaction);
    return { id: record.id, token: record.token };
  }

  /** Every message the bot created in the channel (or thread), in creation order, as it is now. */
  messagesIn(channelId: string): FakeMessage[] {
    return [...this.messages.values()]
      .filter((message) => message.channel_id === channelId && message.author.id === BOT_USER_ID)
      .map((message) => ({
        id: message.id,
        content: message.content,
        components: message.components ?? [],
        embeds: message.embeds,
        flags: message.flags ?? 0,
      }));
  }

  threads(): FakeThread[] {
    return [...this.threadStarters].flatMap(([id, startedFrom]) => {
      const thread = this.channels.get(id);
      return thread && isThread(thread)
        ? [{ id, parentId: thread.parent_id ?? '', name: thread.name, startedFrom }]
        : [];
    });
  }

  // --- REST ---------------------------------------------------------------------------------------------------------

  private readonly routes: Route[] = [
    {
      method: 'GET',
      pattern: /^\/gateway\/bot$/,
      handle: () =>
        ok({
          url: this.gatewayUrl,
          shards: 1,
          session_start_limit: { total: 1000, remaining: 1000, reset_after: 0, max_concurrency: 1 },
        }),
    },
    { method: 'GET', pattern: /^\/gateway$/, noAuth: true, handle: () => ok({ url: this.gatewayUrl }) },
    { method: 'GET', pattern: /^\/users\/@me$/, handle: () => ok(BOT_USER) },
    {
      method: 'GET',
      pattern: /^\/users\/(\d+)$/,
      handle: (_, [id]) => ok(id === BOT_USER_ID ? BOT_USER : userFor(id ?? '')),
    },
    {
      method: 'PUT',
      pattern: /^\/channels\/(\d+)\/messages\/(\d+)\/reactions\/([^/]+)\/@me$/,
      handle: (_, [id, mid]) => this.withMessage(id, mid, () => ({ status: 204 })),
    },
    { method: 'POST', pattern: /^\/users\/@me\/channels$/, handle: (call) => this.openDm(call) },
    {
      method: 'GET',
      pattern: /^\/channels\/(\d+)$/,
      handle: (_, [id]) => this.withChannel(id, (channel) => ok(channel)),
    },
    {
      method: 'POST',
      pattern: /^\/channels\/(\d+)\/typing$/,
      handle: (_, [id]) => this.withChannel(id, () => ({ status: 204 })),
    },
    {
      method: 'GET',
      pattern: /^\/channels\/(\d+)\/messages$/,
      handle: (call, [id]) => this.withChannel(id, () => ok(this.history(id, call.query))),
    },
    {
      method: 'POST',
      pattern: /^\/channels\/(\d+)\/messages$/,
      handle: (call, [id]) => this.withChannel(id, () => this.postMessage(call, id ?? '')),
    },
    {
      method: 'GET',
      pattern: /^\/channels\/(\d+)\/messages\/(\d+)$/,
      handle: (_, [id, mid]) => this.withMessage(id, mid, (message) => ok(message)),
    },
    {
      method: 'PATCH',
      pattern: /^\/channels\/(\d+)\/messages\/(\d+)$/,
      handle: (call, [id, mid]) => this.withMessage(id, mid, (message) => this.editChannelMessage(call, message)),
    },
    {
      method: 'DELETE',
      pattern: /^\/channels\/(\d+)\/messages\/(\d+)$/,
      handle: (_, [id, mid]) => this.withMessage(id, mid, (message) => this.deleteMessage(message)),
    },
    {
      method: 'POST',
      pattern: /^\/channels\/(\d+)\/messages\/(\d+)\/threads$/,
      handle: (call, [id, mid]) => this.withChannel(id, (channel) => this.startThread(call, channel, mid)),
    },
    {
      method: 'POST',
      pattern: /^\/channels\/(\d+)\/threads$/,
      handle: (call, [id]) => this.withChannel(id, (channel) => this.startThread(call, channel, undefined)),
    },
    {
      method: 'GET',
      pattern: /^\/applications\/(\d+)\/commands$/,
      handle: () => ok(this.commands.get('global') ?? []),
    },
    {
      method: 'PUT',
      pattern: /^\/applications\/(\d+)\/commands$/,
      handle: (call) => ok(this.registerCommands('global', call.body, true)),
    },
    {
      method: 'POST',
      pattern: /^\/applications\/(\d+)\/commands$/,
      handle: (call) => ok(this.registerCommands('global', [call.body], false)[0]),
    },
    {
      method: 'GET',
      pattern: /^\/applications\/(\d+)\/guilds\/(\d+)\/commands$/,
      handle: (_, [, guild]) => ok(this.commands.get(guild ?? '') ?? []),
    },
    {
      method: 'PUT',
      pattern: /^\/applications\/(\d+)\/guilds\/(\d+)\/commands$/,
      handle: (call, [, guild]) => ok(this.registerCommands(guild ?? '', call.body, true)),
    },
    {
      method: 'POST',
      pattern: /^\/applications\/(\d+)\/guilds\/(\d+)\/commands$/,
      handle: (call, [, guild]) => ok(this.registerCommands(guild ?? '', [call.body], false)[0]),
    },
    {
      method: 'POST',
      pattern: /^\/interactions\/(\d+)\/([^/]+)\/callback$/,
      noAuth: true,
      handle: (call, [id, token]) => this.interactionCallback(call, id ?? '', token ?? ''),
    },
    {
      method: 'POST',
      pattern: /^\/webhooks\/(\d+)\/([^/]+)$/,
      noAuth: true,
      handle: (call, [app, token]) => this.withInteraction(app, token, (record) => this.followUp(call, record)),
    },
    {
      method: 'GET',
      pattern: /^\/webhooks\/(\d+)\/([^/]+)\/messages\/(@original|\d+)$/,
      noAuth: true,
      handle: (_, [app, token, mid]) => this.withWebhookMessage(app, token, mid, (message) => ok(message)),
    },
    {
      method: 'PATCH',
      pattern: /^\/webhooks\/(\d+)\/([^/]+)\/messages\/(@original|\d+)$/,
      noAuth: true,
      handle: (call, [app, token, mid]) =>
        this.withWebhookMessage(app, token, mid, (message) => this.editWebhookMessage(call, message)),
    },
    {
      method: 'DELETE',
      pattern: /^\/webhooks\/(\d+)\/([^/]+)\/messages\/(@original|\d+)$/,
      noAuth: true,
      handle: (_, [app, token, mid]) =>
        this.withWebhookMessage(app, token, mid, (message) => this.deleteMessage(message)),
    },
  ];

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const url = new URL(req.url ?? '/', 'http://127.0.0.1');
    const method = (req.method ?? 'GET').toUpperCase();
    const underApi = url.pathname.startsWith(`${API_PREFIX}/`);
    const rawPath = underApi ? url.pathname.slice(API_PREFIX.length) : url.pathname;
    const { body, files } = await decodeBody(Buffer.concat(chunks), req.headers['content-type'] ?? '');
    const call: DiscordCall = {
      method,
      path: rawPath.split('/').map(decodeSegment).join('/'),
      rawPath,
      query: Object.fromEntries(url.searchParams),
      body,
      files,
      authorization: req.headers.authorization,
      status: 0,
      response: undefined,
      at: performance.now(),
    };
    const held = this.holds.findIndex((h) => h.method === call.method && h.pattern.test(call.path));
    if (held >= 0) {
      const [hold] = this.holds.splice(held, 1);
      hold!.arrived();
      await hold!.released;
    }
    const reply = underApi ? this.reply(call) : apiError(404, 0, '404: Not Found');
    call.status = reply.status;
    call.response = reply.body;
    this.calls.push(call);
    if (reply.drop) {
      res.socket?.destroy();
      return;
    }
    if (reply.status === 204 || reply.body === undefined) {
      // A 204 must not claim a JSON body: discord.js would try to parse it and emit an error.
      res.writeHead(reply.status, reply.headers ?? {}).end();
    } else {
      res
        .writeHead(reply.status, { 'content-type': 'application/json', ...reply.headers })
        .end(JSON.stringify(reply.body));
    }
    reply.after?.();
  }

  private reply(call: DiscordCall): Reply {
    const onceIndex = this.onceScripts.findIndex((s) => s.method === call.method && s.pattern.test(call.path));
    const scripted =
      onceIndex >= 0
        ? this.onceScripts.splice(onceIndex, 1)[0]
        : this.alwaysScripts.find((s) => s.method === call.method && s.pattern.test(call.path));
    if (scripted) return scriptedReply(scripted.response);
    for (const route of this.routes) {
      const match = route.method === call.method ? route.pattern.exec(call.path) : null;
      if (!match) continue;
      if (!route.noAuth && !/^Bot \S+$/.test(call.authorization ?? '')) return apiError(401, 0, '401: Unauthorized');
      return route.handle(
        call,
        match.slice(1).map((param) => param ?? ''),
      );
    }
    return apiError(404, 0, '404: Not Found');
  }

  private withChannel(id: string | undefined, then: (channel: Channel) => Reply): Reply {
    const channel = this.channels.get(id ?? '');
    return channel ? then(channel) : apiError(404, 10003, 'Unknown Channel');
  }

  private withMessage(
    channelId: string | undefined,
    messageId: string | undefined,
    then: (message: APIMessage) => Reply,
  ): Reply {
    return this.withChannel(channelId, () => {
      const message = this.messages.get(messageId ?? '');
      return message && message.channel_id === channelId ? then(message) : apiError(404, 10008, 'Unknown Message');
    });
  }

  private postMessage(call: DiscordCall, channelId: string): Reply {
    const body = asBody(call.body);
    const invalid = invalidContent(body, call.files, true) ?? this.invalidReference(body);
    if (invalid) return invalid;
    const message = this.store(this.newMessage(channelId, body, call.files));
    const thread = this.channels.get(channelId);
    if (thread && isThread(thread)) {
      thread.message_count = (thread.message_count ?? 0) + 1;
      thread.total_message_sent = (thread.total_message_sent ?? 0) + 1;
    }
    return { status: 200, body: message, after: () => this.echo(GatewayDispatchEvents.MessageCreate, message) };
  }

  private editChannelMessage(call: DiscordCall, message: APIMessage): Reply {
    if (message.author.id !== BOT_USER_ID)
      return apiError(403, 50005, 'Cannot edit a message authored by another user');
    const body = asBody(call.body);
    const invalid = invalidContent(body, call.files, false);
    if (invalid) return invalid;
    this.applyEdit(message, body, call.files);
    return { status: 200, body: message, after: () => this.echo(GatewayDispatchEvents.MessageUpdate, message) };
  }

  private deleteMessage(message: APIMessage): Reply {
    this.messages.delete(message.id);
    const guild = this.isGuildChannel(message.channel_id);
    const event = { id: message.id, channel_id: message.channel_id, ...(guild ? { guild_id: GUILD_ID } : {}) };
    const visible = ((message.flags ?? 0) & MessageFlags.Ephemeral) === 0;
    return {
      status: 204,
      after: () =>
        visible && this.session && this.wants(guild) && this.dispatch(GatewayDispatchEvents.MessageDelete, event),
    };
  }

  private history(channelId: string | undefined, query: Record<string, string>): APIMessage[] {
    const limit = Number(query.limit ?? 50);
    return [...this.messages.values()]
      .filter((message) => message.channel_id === channelId)
      .reverse()
      .slice(0, limit);
  }

  private startThread(call: DiscordCall, parent: Channel, starterId: string | undefined): Reply {
    if (parent.type !== ChannelType.GuildText)
      return apiError(400, 50024, 'Cannot execute action on this channel type');
    const starter = starterId === undefined ? undefined : this.messages.get(starterId);
    if (starterId !== undefined && starter?.channel_id !== parent.id) return apiError(404, 10008, 'Unknown Message');
    if (starterId !== undefined && this.channels.has(starterId))
      return apiError(400, 160004, 'A thread has already been created for this message');
    const body = asBody(call.body);
    const name = typeof body.name === 'string' ? body.name : '';
    if (name.length < 1 || name.length > MAX_THREAD_NAME_CHARS)
      return formError('name', 'BASE_TYPE_BAD_LENGTH', `Must be between 1 and ${MAX_THREAD_NAME_CHARS} in length.`);
    const now = new Date().toISOString();
    const type =
      starterId === undefined && body.type === ChannelType.PrivateThread
        ? ChannelType.PrivateThread
        : ChannelType.PublicThread;
    const thread: APIThreadChannel = {
      // A thread started from a message has the message's id.
      id: starterId ?? this.nextId(),
      type,
      guild_id: GUILD_ID,
      parent_id: parent.id,
      name,
      owner_id: BOT_USER_ID,
      last_message_id: null,
      thread_metadata: {
        archived: false,
        auto_archive_duration: numberOr(body.auto_archive_duration, 1440),
        archive_timestamp: now,
        locked: false,
        create_timestamp: now,
      },
      message_count: 0,
      member_count: 1,
      total_message_sent: 0,
      rate_limit_per_user: numberOr(body.rate_limit_per_user, 0),
    };
    this.channels.set(thread.id, thread);
    this.threadStarters.set(thread.id, starterId);
    if (starter) Object.assign(starter, { flags: (starter.flags ?? 0) | MessageFlags.HasThread, thread });
    const created = {
      ...thread,
      newly_created: true,
      member: { id: thread.id, user_id: BOT_USER_ID, join_timestamp: now, flags: 0 },
    };
    return {
      status: 201,
      body: thread,
      after: () => this.session && this.dispatch(GatewayDispatchEvents.ThreadCreate, created),
    };
  }

  private openDm(call: DiscordCall): Reply {
    const recipient = asBody(call.body).recipient_id;
    if (typeof recipient !== 'string') return formError('recipient_id', 'BASE_TYPE_REQUIRED', 'This field is required');
    const existing = [...this.channels.values()].find(
      (channel) => channel.type === ChannelType.DM && channel.recipients?.[0]?.id === recipient,
    );
    if (existing) return ok(existing);
    const channel = dmChannel(this.nextId(), userFor(recipient));
    this.channels.set(channel.id, channel);
    return ok(channel);
  }

  private registerCommands(scope: string, body: unknown, replace: boolean): Body[] {
    const existing = this.commands.get(scope) ?? [];
    const incoming = (Array.isArray(body) ? body : []).map(asBody).map(
      (command): Body => ({
        id: existing.find((old) => old.name === command.name)?.id ?? this.nextId(),
        application_id: APPLICATION_ID,
        version: this.nextId(),
        type: ApplicationCommandType.ChatInput,
        description: '',
        default_member_permissions: null,
        nsfw: false,
        integration_types: [0],
        contexts: null,
        ...command,
        ...(scope === 'global' ? {} : { guild_id: scope }),
      }),
    );
    const kept = replace ? [] : existing.filter((old) => !incoming.some((command) => command.name === old.name));
    this.commands.set(scope, [...kept, ...incoming]);
    return incoming;
  }

  // --- interactions -------------------------------------------------------------------------------------------------

  private newInteraction(
    type: InteractionType,
    channelId: string,
    userId: string,
    sourceMessageId: string | undefined,
  ): InteractionRecord {
    const id = this.nextId();
    const token = `aW50ZXJhY3Rpb246${id}:${randomBytes(48).toString('base64url')}`;
    const record: InteractionRecord = {
      id,
      token,
      type,
      channelId,
      user: userFor(userId),
      sourceMessageId,
      createdAtMs: Date.now(),
      acknowledged: false,
      originalMessageId: undefined,
      webhookMessageIds: new Set(),
    };
    this.interactions.set(id, record);
    return record;
  }

  private interactionBase(record: InteractionRecord, guild: boolean) {
    const channel =
      this.channels.get(record.channelId) ??
      (guild ? textChannel(record.channelId, 'unknown', 99) : dmChannel(record.channelId, record.user));
    const who = guild
      ? {
          guild_id: GUILD_ID,
          guild: { id: GUILD_ID, locale: Locale.EnglishUS, features: [] },
          member: {
            ...memberFields(),
            roles: this.rolesOf(record.user.id),
            user: record.user,
            permissions: EVERYONE_PERMISSIONS,
          },
        }
      : { user: record.user };
    const base = {
      id: record.id,
      application_id: APPLICATION_ID,
      token: record.token,
      version: 1,
      channel_id: record.channelId,
      channel: { ...channel, ...(guild ? { permissions: EVERYONE_PERMISSIONS } : {}) },
      app_permissions: guild ? BOT_PERMISSIONS : DM_PERMISSIONS,
      locale: Locale.EnglishUS,
      ...(guild ? { guild_locale: Locale.EnglishUS } : {}),
      entitlements: [],
      authorizing_integration_owners: { 0: guild ? GUILD_ID : '0' },
      context: guild ? InteractionContextType.Guild : InteractionContextType.BotDM,
      attachment_size_limit: ATTACHMENT_SIZE_LIMIT_BYTES,
      ...who,
    } satisfies Omit<APIBaseInteraction<InteractionType, unknown>, 'type' | 'data'>;
    return base;
  }

  private interactionCallback(call: DiscordCall, id: string, token: string): Reply {
    const record = this.interactions.get(id);
    if (
      !record ||
      record.token !== token ||
      (!record.acknowledged && Date.now() - record.createdAtMs > this.ackDeadlineMs)
    )
      return apiError(404, 10062, 'Unknown interaction');
    if (record.acknowledged) return apiError(400, 40060, 'Interaction has already been acknowledged.');
    const body = asBody(call.body);
    const data = asBody(body.data);
    const isComponent = record.type === InteractionType.MessageComponent;
    let message: APIMessage | undefined;
    let after: (() => void) | undefined;
    switch (body.type) {
      case InteractionResponseType.ChannelMessageWithSource:
      case InteractionResponseType.DeferredChannelMessageWithSource: {
        const deferred = body.type === InteractionResponseType.DeferredChannelMessageWithSource;
        const invalid = deferred ? undefined : invalidContent(data, call.files, true);
        if (invalid) return invalid;
        const flags = numberOr(data.flags, 0) & MessageFlags.Ephemeral;
        const fields = deferred ? { content: '', flags: flags | MessageFlags.Loading } : { ...data, flags };
        message = this.store(
          this.newMessage(record.channelId, fields, deferred ? [] : call.files, this.responseFields(record)),
        );
        record.originalMessageId = message.id;
        const created = message;
        after = () => this.echo(GatewayDispatchEvents.MessageCreate, created);
        break;
      }
      case InteractionResponseType.DeferredMessageUpdate:
      case InteractionResponseType.UpdateMessage: {
        const source = this.messages.get(record.sourceMessageId ?? '');
        if (!isComponent || !source)
          return apiError(400, 40004, 'Interaction response type is not valid for this interaction');
        record.originalMessageId = source.id;
        message = source;
        if (body.type === InteractionResponseType.UpdateMessage) {
          this.applyEdit(source, data, call.files);
          after = () => this.echo(GatewayDispatchEvents.MessageUpdate, source);
        }
        break;
      }
      case InteractionResponseType.Modal:
      case InteractionResponseType.ApplicationCommandAutocompleteResult:
        break;
      default:
        return formError(
          'type',
          'BASE_TYPE_CHOICES',
          `Value must be one of ${Object.values(InteractionResponseType)
            .filter((v) => typeof v === 'number')
            .join(', ')}.`,
        );
    }
    record.acknowledged = true;
    if (call.query.with_response !== 'true') return { status: 204, after };
    const loading = ((message?.flags ?? 0) & MessageFlags.Loading) !== 0;
    const ephemeral = ((message?.flags ?? 0) & MessageFlags.Ephemeral) !== 0;
    const interaction = {
      id: record.id,
      type: record.type,
      ...(message
        ? { response_message_id: message.id, response_message_loading: loading, response_message_ephemeral: ephemeral }
        : {}),
    };
    return {
      status: 200,
      body: { interaction, resource: { type: body.type, ...(message ? { message } : {}) } },
      after,
    };
  }

  /** The fields Discord puts on messages sent through an interaction's webhook. */
  private responseFields(record: InteractionRecord): Partial<APIMessage> {
    return {
      webhook_id: APPLICATION_ID,
      application_id: APPLICATION_ID,
      type: record.type === InteractionType.ApplicationCommand ? MessageType.ChatInputCommand : MessageType.Default,
      interaction_metadata: {
        id: record.id,
        type: record.type,
        user: record.user,
        authorizing_integration_owners: {},
        ...(record.sourceMessageId ? { interacted_message_id: record.sourceMessageId } : {}),
      } as APIMessage['interaction_metadata'],
    };
  }

  private withInteraction(
    app: string | undefined,
    token: string | undefined,
    then: (record: InteractionRecord) => Reply,
  ): Reply {
    const record = [...this.interactions.values()].find((candidate) => candidate.token === token);
    if (app !== APPLICATION_ID || !record || !record.acknowledged) return apiError(404, 10015, 'Unknown Webhook');
    return then(record);
  }

  private withWebhookMessage(
    app: string | undefined,
    token: string | undefined,
    messageId: string | undefined,
    then: (message: APIMessage) => Reply,
  ): Reply {
    return this.withInteraction(app, token, (record) => {
      const id =
        messageId === '@original'
          ? record.originalMessageId
          : record.webhookMessageIds.has(messageId ?? '')
            ? messageId
            : undefined;
      const message = this.messages.get(id ?? '');
      return message ? then(message) : apiError(404, 10008, 'Unknown Message');
    });
  }

  private followUp(call: DiscordCall, record: InteractionRecord): Reply {
    const body = asBody(call.body);
    const invalid = invalidContent(body, call.files, true);
    if (invalid) return invalid;
    const message = this.store(
      this.newMessage(
        record.channelId,
        { ...body, flags: numberOr(body.flags, 0) & MessageFlags.Ephemeral },
        call.files,
        this.responseFields(record),
      ),
    );
    record.webhookMessageIds.add(message.id);
    const after = () => this.echo(GatewayDispatchEvents.MessageCreate, message);
    return call.query.wait === 'true' ? { status: 200, body: message, after } : { status: 204, after };
  }

  private editWebhookMessage(call: DiscordCall, message: APIMessage): Reply {
    const body = asBody(call.body);
    const invalid = invalidContent(body, call.files, false);
    if (invalid) return invalid;
    this.applyEdit(message, body, call.files);
    message.flags = (message.flags ?? 0) & ~MessageFlags.Loading;
    return { status: 200, body: message, after: () => this.echo(GatewayDispatchEvents.MessageUpdate, message) };
  }

  // --- messages -----------------------------------------------------------------------------------------------------

  private newMessage(channelId: string, body: Body, files: FileUpload[], extra: Partial<APIMessage> = {}): APIMessage {
    const message: APIMessage = {
      ...baseMessage(this.nextId(), channelId, BOT_USER),
      content: typeof body.content === 'string' ? body.content : '',
      tts: body.tts === true,
      embeds: embedsOf(body.embeds),
      components: Array.isArray(body.components) ? (body.components as APIMessage['components']) : [],
      attachments: this.attachmentsOf(channelId, [], body, files),
      flags: numberOr(body.flags, 0),
      ...(typeof body.nonce === 'string' || typeof body.nonce === 'number' ? { nonce: body.nonce } : {}),
      ...extra,
    };
    const referenceId = asBody(body.message_reference).message_id;
    const referenced = typeof referenceId === 'string' ? this.messages.get(referenceId) : undefined;
    if (referenced) {
      const guild = this.isGuildChannel(referenced.channel_id);
      message.type = MessageType.Reply;
      message.message_reference = {
        type: 0,
        message_id: referenced.id,
        channel_id: referenced.channel_id,
        ...(guild ? { guild_id: GUILD_ID } : {}),
      };
      message.referenced_message = referenced;
    }
    return message;
  }

  private applyEdit(message: APIMessage, body: Body, files: FileUpload[]): void {
    if ('content' in body) message.content = typeof body.content === 'string' ? body.content : '';
    if ('embeds' in body) message.embeds = embedsOf(body.embeds);
    if ('components' in body)
      message.components = Array.isArray(body.components) ? (body.components as APIMessage['components']) : [];
    if ('flags' in body)
      message.flags =
        ((message.flags ?? 0) & ~MessageFlags.SuppressEmbeds) | (numberOr(body.flags, 0) & MessageFlags.SuppressEmbeds);
    if ('attachments' in body || files.length > 0)
      message.attachments = this.attachmentsOf(message.channel_id, message.attachments, body, files);
    message.edited_timestamp = new Date().toISOString();
  }

  /** Attachments listed by id in the body are kept; new uploads (files[n] parts) become new attachments. */
  private attachmentsOf(channelId: string, current: APIAttachment[], body: Body, files: FileUpload[]): APIAttachment[] {
    const listed = Array.isArray(body.attachments) ? body.attachments.map(asBody) : [];
    const kept = current.filter((attachment) => listed.some((entry) => entry.id === attachment.id));
    const uploaded = files.map((file): APIAttachment => {
      const id = this.nextId();
      const url = `http://127.0.0.1:${this.port}/attachments/${channelId}/${id}/${encodeURIComponent(file.name)}`;
      return { id, filename: file.name, size: file.size, url, proxy_url: url, content_type: file.type };
    });
    return [...kept, ...uploaded];
  }

  private invalidReference(body: Body): Reply | undefined {
    const reference = asBody(body.message_reference);
    const id = reference.message_id;
    if (typeof id !== 'string' || this.messages.has(id) || reference.fail_if_not_exists === false) return undefined;
    return formError('message_reference', 'MESSAGE_REFERENCE_UNKNOWN_MESSAGE', 'Unknown message');
  }

  private store(message: APIMessage): APIMessage {
    this.messages.set(message.id, message);
    return message;
  }

  /** Discord sends the bot its own messages back; ephemeral ones are seen only by the user. */
  private echo(
    event: GatewayDispatchEvents.MessageCreate | GatewayDispatchEvents.MessageUpdate,
    message: APIMessage,
  ): void {
    const guild = this.isGuildChannel(message.channel_id);
    if (((message.flags ?? 0) & MessageFlags.Ephemeral) !== 0 || !this.session || !this.wants(guild)) return;
    this.dispatch(event, this.messageEvent(message, guild));
  }

  private messageEvent(message: APIMessage, guild: boolean): GatewayMessageCreateDispatchData {
    const channel = this.channels.get(message.channel_id);
    const channelType = channel?.type ?? (guild ? ChannelType.GuildText : ChannelType.DM);
    const intents = this.session?.intents ?? 0;
    const readable =
      !guild ||
      message.author.id === BOT_USER_ID ||
      message.mentions.some((user) => user.id === BOT_USER_ID) ||
      (intents & GatewayIntentBits.MessageContent) !== 0;
    const hidden = readable ? {} : { content: '', embeds: [], attachments: [], components: [] };
    const member: APIGuildMemberNoUser = { ...memberFields(), roles: this.rolesOf(message.author.id) };
    const mentions = message.mentions.map((user) =>
      guild ? { ...user, member: { ...memberFields(), roles: user.id === BOT_USER_ID ? [BOT_ROLE_ID] : [] } } : user,
    );
    return {
      ...message,
      ...hidden,
      mentions,
      channel_type: channelType as GatewayMessageCreateDispatchData['channel_type'],
      ...(guild ? { guild_id: GUILD_ID, member } : {}),
    };
  }

  private rolesOf(userId: string): string[] {
    return userId === BOT_USER_ID ? [BOT_ROLE_ID] : (this.memberRoles.get(userId) ?? []);
  }

  private isGuildChannel(channelId: string): boolean {
    const channel = this.channels.get(channelId);
    return channel ? channel.type !== ChannelType.DM : channelId !== DM_CHANNEL_ID;
  }

  /** Whether the identified client asked for message events from guilds (or DMs). */
  private wants(guild: boolean): boolean {
    const bit = guild ? GatewayIntentBits.GuildMessages : GatewayIntentBits.DirectMessages;
    return ((this.session?.intents ?? 0) & bit) !== 0;
  }

  // --- gateway ------------------------------------------------------------------------------------------------------

  private upgrade(req: IncomingMessage, socket: Duplex, head: Buffer): void {
    const url = new URL(req.url ?? '/', 'http://127.0.0.1');
    if (!GATEWAY_PATHS.has(url.pathname)) {
      socket.end('HTTP/1.1 404 Not Found\r\nconnection: close\r\n\r\n');
      return;
    }
    this.wss.handleUpgrade(req, socket, head, (ws) => this.greet(ws, url.searchParams));
  }

  private greet(ws: WebSocket, params: URLSearchParams): void {
    this.socket = ws;
    this.readySocket = undefined;
    ws.on('error', () => undefined);
    ws.on('message', (data: RawData, isBinary: boolean) => this.receive(ws, data, isBinary));
    ws.on('close', () => {
      if (this.socket === ws) this.socket = undefined;
      if (this.readySocket === ws) this.readySocket = undefined;
    });
    if (params.get('v') !== '10') {
      ws.close(4012, 'Invalid API version');
      return;
    }
    this.send(ws, {
      op: GatewayOpcodes.Hello,
      d: { heartbeat_interval: HEARTBEAT_INTERVAL_MS, _trace: ['["fake-gateway",{}]'] },
      s: null,
      t: null,
    });
  }

  private receive(ws: WebSocket, data: RawData, isBinary: boolean): void {
    if (isBinary) return;
    let frame: GatewayFrame;
    try {
      const bytes = Array.isArray(data) ? Buffer.concat(data) : Buffer.isBuffer(data) ? data : Buffer.from(data);
      frame = JSON.parse(bytes.toString('utf8')) as GatewayFrame;
    } catch {
      ws.close(4002, 'Error while decoding payload.');
      return;
    }
    this.gatewayReceived.push(frame);
    const d = asBody(frame.d);
    switch (frame.op) {
      case GatewayOpcodes.Heartbeat:
        this.send(ws, { op: GatewayOpcodes.HeartbeatAck, d: null, s: null, t: null });
        break;
      case GatewayOpcodes.Identify:
        this.identify(ws, d);
        break;
      case GatewayOpcodes.Resume:
        this.resume(ws, d);
        break;
      default:
        break;
    }
  }

  private identify(ws: WebSocket, d: Body): void {
    if (typeof d.token !== 'string' || d.token === '') {
      ws.close(4004, 'Authentication failed.');
      return;
    }
    this.session = { id: randomBytes(16).toString('hex'), seq: 0, intents: numberOr(d.intents, 0), log: [] };
    this.readySocket = ws;
    const ready: GatewayReadyDispatchData = {
      v: 10,
      user: BOT_USER,
      guilds: [{ id: GUILD_ID, unavailable: true }],
      session_id: this.session.id,
      resume_gateway_url: this.gatewayUrl,
      shard: [0, 1],
      application: { id: APPLICATION_ID, flags: 0 as ApplicationFlags, flags_new: '0' },
    };
    this.dispatch(GatewayDispatchEvents.Ready, ready);
    this.dispatch(GatewayDispatchEvents.GuildCreate, this.guildCreate());
  }

  /** A RESUME of the current session replays the events the client missed, then RESUMED; anything else is INVALID_SESSION. */
  private resume(ws: WebSocket, d: Body): void {
    const session = this.session;
    if (!session || d.session_id !== session.id) {
      this.send(ws, { op: GatewayOpcodes.InvalidSession, d: false, s: null, t: null });
      return;
    }
    const seq = numberOr(d.seq, 0);
    this.readySocket = ws;
    for (const frame of session.log) if ((frame.s ?? 0) > seq) this.send(ws, frame);
    // Not logged: a later RESUME must not replay an old RESUMED.
    this.send(ws, {
      op: GatewayOpcodes.Dispatch,
      t: GatewayDispatchEvents.Resumed,
      s: ++session.seq,
      d: { _trace: ['["fake-gateway",{}]'] },
    });
  }

  private send(ws: WebSocket, frame: GatewayFrame): void {
    if (ws.readyState !== WebSocket.OPEN) return;
    this.gatewaySent.push(frame);
    ws.send(JSON.stringify(frame));
  }

  private guildCreate(): GatewayGuildCreateDispatchData {
    const channels = [...this.channels.values()].filter(
      (channel): channel is APITextChannel => channel.type === ChannelType.GuildText,
    );
    const threads = [...this.channels.values()].filter(isThread);
    return {
      id: GUILD_ID,
      name: 'Fake Guild',
      icon: null,
      splash: null,
      discovery_splash: null,
      banner: null,
      description: null,
      owner_id: GUILD_OWNER_ID,
      afk_channel_id: null,
      afk_timeout: 300,
      verification_level: 0,
      default_message_notifications: 1,
      explicit_content_filter: 0,
      roles: [
        role(GUILD_ID, '@everyone', EVERYONE_PERMISSIONS, 0),
        { ...role(BOT_ROLE_ID, 'Switchboard', BOT_PERMISSIONS, 1), managed: true, tags: { bot_id: BOT_USER_ID } },
        role(STAFF_ROLE_ID, 'Support team', EVERYONE_PERMISSIONS, 2),
      ],
      emojis: [],
      stickers: [],
      features: [],
      mfa_level: 0,
      application_id: null,
      system_channel_id: OTHER_CHANNEL_ID,
      system_channel_flags: 0 as GuildSystemChannelFlags,
      rules_channel_id: null,
      vanity_url_code: null,
      premium_tier: 0,
      premium_subscription_count: 0,
      preferred_locale: Locale.EnglishUS,
      public_updates_channel_id: null,
      nsfw_level: 0,
      premium_progress_bar_enabled: false,
      hub_type: null,
      safety_alerts_channel_id: null,
      incidents_data: null,
      max_members: 500_000,
      joined_at: JOINED_AT,
      large: false,
      unavailable: false,
      member_count: 3,
      voice_states: [],
      members: [{ ...memberFields(), roles: [BOT_ROLE_ID], user: BOT_USER }],
      channels,
      threads,
      presences: [],
      stage_instances: [],
      guild_scheduled_events: [],
      soundboard_sounds: [],
    };
  }
}

/** A 429 as Discord sends it; discord.js waits `retryAfterSeconds` (fractions allowed) and retries by itself. */
export function rateLimitResponse(retryAfterSeconds = 0.05, opts: { global?: boolean } = {}): ScriptedResponse {
  const headers: Record<string, string> = {
    'retry-after': String(retryAfterSeconds),
    'x-ratelimit-limit': '5',
    'x-ratelimit-remaining': '0',
    'x-ratelimit-reset-after': String(retryAfterSeconds),
    'x-ratelimit-reset': String((Date.now() / 1000 + retryAfterSeconds).toFixed(3)),
    'x-ratelimit-bucket': 'fakebucket0001',
    'x-ratelimit-scope': opts.global ? 'global' : 'user',
  };
  if (opts.global) headers['x-ratelimit-global'] = 'true';
  return {
    status: 429,
    headers,
    body: { message: 'You are being rate limited.', retry_after: retryAfterSeconds, global: opts.global ?? false },
  };
}

function scriptedReply(response: ScriptedResponse): Reply {
  if (response.drop) return { status: 0, drop: true };
  const status = response.status ?? 200;
  if (response.body !== undefined || status === 204) return { status, body: response.body, headers: response.headers };
  const body =
    status === 429
      ? rateLimitResponse().body
      : status >= 400
        ? { message: `${status}: ${STATUS_CODES[status] ?? 'Error'}`, code: 0 }
        : {};
  return { status, body, headers: response.headers };
}

function ok(body: unknown): Reply {
  return { status: 200, body };
}

function apiError(status: number, code: number, message: string): Reply {
  return { status, body: { message, code } };
}

function formError(field: string, code: string, message: string): Reply {
  return {
    status: 400,
    body: { message: 'Invalid Form Body', code: 50035, errors: { [field]: { _errors: [{ code, message }] } } },
  };
}

/** Discord's checks on a message body: at most 2,000 characters, and (when creating) not empty. */
function invalidContent(body: Body, files: FileUpload[], creating: boolean): Reply | undefined {
  if (typeof body.content === 'string' && body.content.length > MAX_MESSAGE_CHARS) {
    return formError('content', 'BASE_TYPE_MAX_LENGTH', `Must be ${MAX_MESSAGE_CHARS} or fewer in length.`);
  }
  const filled = (value: unknown) =>
    Array.isArray(value)
      ? value.length > 0
      : typeof value === 'string'
        ? value !== ''
        : value !== undefined && value !== null;
  const empty =
    !['content', 'embeds', 'components', 'sticker_ids', 'poll'].some((key) => filled(body[key])) && files.length === 0;
  return creating && empty ? apiError(400, 50006, 'Cannot send an empty message') : undefined;
}

function baseMessage(id: string, channelId: string, author: APIUser): APIMessage {
  return {
    id,
    channel_id: channelId,
    author,
    content: '',
    timestamp: new Date().toISOString(),
    edited_timestamp: null,
    tts: false,
    mention_everyone: false,
    mentions: [],
    mention_roles: [],
    attachments: [],
    embeds: [],
    components: [],
    pinned: false,
    type: MessageType.Default,
    flags: 0 as MessageFlags,
  };
}

function embedsOf(value: unknown): APIEmbed[] {
  return Array.isArray(value) ? value.map((embed) => ({ type: 'rich', ...asBody(embed) }) as APIEmbed) : [];
}

function textChannel(id: string, name: string, position: number): APITextChannel {
  return {
    id,
    type: ChannelType.GuildText,
    guild_id: GUILD_ID,
    name,
    position,
    permission_overwrites: [],
    parent_id: null,
    nsfw: false,
    topic: null,
    last_message_id: null,
    rate_limit_per_user: 0,
  };
}

function dmChannel(id: string, recipient: APIUser): APIDMChannel {
  return { id, type: ChannelType.DM, name: null, recipients: [recipient], last_message_id: null };
}

function role(id: string, name: string, permissions: string, position: number): APIRole {
  return {
    id,
    name,
    permissions,
    position,
    color: 0,
    colors: { primary_color: 0, secondary_color: null, tertiary_color: null },
    hoist: false,
    managed: false,
    mentionable: false,
    flags: 0 as RoleFlags,
  };
}

function memberFields(): APIGuildMemberNoUser {
  return {
    roles: [],
    joined_at: JOINED_AT,
    deaf: false,
    mute: false,
    flags: 0 as GuildMemberFlags,
    nick: null,
    avatar: null,
    premium_since: null,
    pending: false,
    communication_disabled_until: null,
  };
}

function userFor(id: string): APIUser {
  return (
    KNOWN_USERS.get(id) ?? { id, username: `user${id.slice(-4)}`, discriminator: '0', global_name: null, avatar: null }
  );
}

function sumPermissions(names: Array<keyof typeof PermissionFlagsBits>): string {
  return names.reduce((sum, name) => sum | PermissionFlagsBits[name], 0n).toString();
}

function isThread(channel: Channel): channel is APIThreadChannel {
  return (
    channel.type === ChannelType.PublicThread ||
    channel.type === ChannelType.PrivateThread ||
    channel.type === ChannelType.AnnouncementThread
  );
}

function isMessage(value: unknown): value is APIMessage {
  const candidate = asBody(value);
  return (
    typeof candidate.id === 'string' && typeof candidate.channel_id === 'string' && typeof candidate.author === 'object'
  );
}

function asBody(value: unknown): Body {
  return typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as Body) : {};
}

function numberOr(value: unknown, fallback: number): number {
  return typeof value === 'number' && Number.isFinite(value) ? value : fallback;
}

function decodeSegment(segment: string): string {
  try {
    return decodeURIComponent(segment);
  } catch {
    return segment;
  }
}

function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** discord.js sends JSON, or multipart/form-data with a payload_json part and files[n] parts when uploading. */
async function decodeBody(raw: Buffer, contentType: string): Promise<{ body: unknown; files: FileUpload[] }> {
  if (raw.length === 0) return { body: undefined, files: [] };
  if (contentType.startsWith('multipart/form-data')) {
    const form = await new Response(new Blob([new Uint8Array(raw)]), {
      headers: { 'content-type': contentType },
    }).formData();
    const files: FileUpload[] = [];
    let body: unknown = {};
    form.forEach((value, field) => {
      if (typeof value !== 'string') files.push({ field, name: value.name, size: value.size, type: value.type });
      else if (field === 'payload_json') body = JSON.parse(value) as unknown;
    });
    return { body, files };
  }
  const text = raw.toString('utf8');
  try {
    return { body: JSON.parse(text) as unknown, files: [] };
  } catch {
    return { body: text, files: [] };
  }
}

/** Finish the close handshake so the client sees a clean close; terminate a client that does not answer. */
function closeGracefully(socket: WebSocket): Promise<void> {
  if (socket.readyState === WebSocket.CLOSED) return Promise.resolve();
  return new Promise((resolve) => {
    const timer = setTimeout(() => socket.terminate(), CLOSE_HANDSHAKE_MS);
    socket.once('close', () => {
      clearTimeout(timer);
      resolve();
    });
    if (socket.readyState === WebSocket.OPEN) socket.close(1000, 'fake discord closing');
  });
}
