import type { AddressInfo } from 'node:net';
import {
  type AllMiddlewareArgs,
  App,
  Assistant,
  type BlockAction,
  type Logger as BoltLogger,
  type ButtonAction,
  HTTPReceiver,
  LogLevel,
  type Receiver,
  type SlackActionMiddlewareArgs,
  SocketModeReceiver,
} from '@slack/bolt';
import webApi, { type RetryOptions, type WebClient } from '@slack/web-api';
import type { SlackConfig } from '../../src/config.js';
import { REPLY_RETRY_DELAYS_MS } from '../../src/conversation/replyRetries.js';
import type { ConversationService } from '../../src/conversation/service.js';
import type { EscalationDesk } from '../../src/escalation/desk.js';
import type { Logger } from '../../src/log.js';
import { leanFetch } from '../../src/ops/leanFetch.js';
import { APPROVAL_ACTION_PATTERN, CONFIRM_ACTION_ID, parseButtonValue, questionFromBlocks } from './approvals.js';
import { SlackConversations } from './conversation.js';
import { CLAIM_ACTION_ID, ESCALATION_ACTION_PATTERN, SlackDirectory, SlackEscalationSide } from './escalation.js';
import { SlackProfiles } from './profiles.js';
import { platformError } from './replies.js';
import { SlackStaffSide } from './staff.js';
import { parseSlackThreadKey } from './threads.js';

export { parseSlackThreadKey, slackThreadKey } from './threads.js';

export const SLACK_EVENTS_PATH = '/slack/events';
const HEALTH_PATH = '/healthz';

export interface SuggestedPrompt {
  title: string;
  message: string;
}

export interface SlackAdapterDeps {
  log: Logger;
  /** Shown when someone opens a new thread in Slack's assistant pane. */
  suggestedPrompts: SuggestedPrompt[];
  /**
   * How Web API calls are retried on network and server errors. Rate-limited calls (429) always wait for
   * Retry-After and try again. Default: up to five retries within five minutes.
   */
  retryConfig?: RetryOptions;
  /**
   * Pauses between our own tries to post a reply's final text, for the transient errors Slack reports inside a 200,
   * which retryConfig does not cover. Default: REPLY_RETRY_DELAYS_MS.
   */
  replyRetryDelaysMs?: readonly number[];
  /** Human escalation: relays to customers here, and the staff channel when ESCALATION_CHANNEL is on Slack. */
  escalation?:
    | { desk: EscalationDesk; staffChannel: string | undefined; remindMention: string | undefined }
    | undefined;
}

export interface SlackAdapter {
  /** Connects (Socket Mode) or starts serving /slack/events (HTTP); resolves with the HTTP port if any. */
  start(): Promise<{ port: number | undefined }>;
  /** Resolves when every event received so far has been answered. */
  idle(): Promise<void>;
  /** Connected (Socket Mode) or serving (HTTP): for /readyz. */
  ready(): boolean;
  /** Stops taking events, then waits for the replies already under way. */
  stop(): Promise<void>;
}

/** pino underneath Bolt, so its warnings and errors land in our logs (redacted like everything else). */
export function boltLogger(log: Logger): BoltLogger {
  let level = LogLevel.INFO;
  const text = (parts: unknown[]) =>
    parts.map((part) => (typeof part === 'string' ? part : JSON.stringify(part))).join(' ');
  // Bolt and its clients say several debug lines per event and call; unless they are logged, they are not formatted.
  const debug = (msg: unknown[]) => {
    if (log.isLevelEnabled('debug')) log.debug({ bolt: text(msg) }, 'slack.bolt');
  };
  return {
    debug: (...msg) => debug(msg),
    info: (...msg) => debug(msg),
    warn: (...msg) => log.warn({ bolt: text(msg) }, 'slack.bolt'),
    error: (...msg) => log.error({ bolt: text(msg) }, 'slack.bolt'),
    setLevel: (next) => {
      level = next;
    },
    getLevel: () => level,
    setName: () => {},
  };
}

/** How far a request's timestamp may be from now, either way, as Slack's request-signing docs say. */
export const MAX_REQUEST_SKEW_SEC = 300;

/**
 * Bolt rejects a signed request older than five minutes, but not one dated more than five minutes ahead, which a
 * replayed request with a forged clock would be. This refuses both with 401 before Bolt reads the request.
 * HTTPReceiver calls its public `requestListener` for every request, so wrapping it keeps everything else Bolt does.
 */
function rejectSkewedRequests(receiver: HTTPReceiver, log: Logger): void {
  const verify = receiver.requestListener;
  receiver.requestListener = (req, res) => {
    const header = req.headers['x-slack-request-timestamp'];
    const timestamp = Number(Array.isArray(header) ? header[0] : header);
    if (
      header !== undefined &&
      (!Number.isFinite(timestamp) || Math.abs(Date.now() / 1000 - timestamp) > MAX_REQUEST_SKEW_SEC)
    ) {
      log.warn({ timestamp: String(header), maxSkewSec: MAX_REQUEST_SKEW_SEC }, 'slack.request_rejected');
      req.resume();
      res.writeHead(401, { 'content-type': 'text/plain' }).end('request timestamp too far from now');
      return;
    }
    verify(req, res);
  };
}

function teamOf(body: unknown, fallback: string | undefined): string {
  const team = (body as { team_id?: unknown; team?: { id?: unknown } } | undefined) ?? {};
  if (typeof team.team_id === 'string') return team.team_id;
  if (typeof team.team?.id === 'string') return team.team.id;
  return fallback ?? 'unknown-team';
}

export function createSlackAdapter(
  config: SlackConfig,
  service: ConversationService,
  deps: SlackAdapterDeps,
): SlackAdapter {
  const log = deps.log.child({ adapter: 'slack' });
  const logger = boltLogger(log);
  const clientOptions = {
    ...(config.apiUrl ? { slackApiUrl: config.apiUrl } : {}),
    retryConfig: deps.retryConfig ?? webApi.retryPolicies.fiveRetriesInFiveMinutes,
    fetch: leanFetch(),
  };
  let receiver: Receiver;
  let httpReceiver: HTTPReceiver | undefined;
  let socketReceiver: SocketModeReceiver | undefined;
  let serving = false;
  if (config.mode === 'socket') {
    socketReceiver = new SocketModeReceiver({
      appToken: config.appToken!,
      logger,
      installerOptions: { clientOptions },
    });
    receiver = socketReceiver;
  } else {
    httpReceiver = new HTTPReceiver({
      signingSecret: config.signingSecret!,
      endpoints: SLACK_EVENTS_PATH,
      logger,
      // Ack first, then run the turn: Slack wants an answer within 3 s, a turn can take longer.
      processBeforeResponse: false,
      customRoutes: [
        {
          path: HEALTH_PATH,
          method: ['GET'],
          handler: (_req, res) => res.writeHead(200, { 'content-type': 'text/plain' }).end('ok'),
        },
      ],
    });
    receiver = httpReceiver;
    rejectSkewedRequests(httpReceiver, log);
  }
  // convoStore: false drops Bolt's in-memory conversation store: thread state lives in our store, shared by replicas,
  // and the store's middleware would look up (and, finding nothing, make an Error for) every event.
  const app = new App({ token: config.botToken, receiver, logger, clientOptions, convoStore: false });
  const escalation = deps.escalation;
  let staff: SlackStaffSide | undefined;
  // One cache of people for the whole adapter: writers' verified emails and staff display names.
  const profiles = new SlackProfiles(log);
  if (escalation) {
    const directory = new SlackDirectory(() => app.client, escalation.staffChannel, profiles);
    const side = new SlackEscalationSide(
      () => app.client,
      directory,
      { channel: escalation.staffChannel, remindMention: escalation.remindMention },
      log,
    );
    escalation.desk.attach(side);
    if (escalation.staffChannel) {
      escalation.desk.attachStaffRoom(side);
      staff = new SlackStaffSide(escalation.desk, directory, log);
    }
  }
  const conversations = new SlackConversations({
    service,
    log,
    allowedChannels: config.allowedChannels,
    staffChannel: escalation?.staffChannel,
    staff,
    profiles,
    replyRetryDelaysMs: deps.replyRetryDelaysMs ?? REPLY_RETRY_DELAYS_MS,
  });
  // Messages another replica received, or a crash left waiting, are answered here through the app's client.
  service.respondVia('slack', conversations.responder(app.client));

  // The assistant pane first: it takes DM thread messages before the plain message listener sees them.
  app.assistant(
    new Assistant({
      threadStarted: async ({ setSuggestedPrompts }) => {
        if (deps.suggestedPrompts.length === 0) return;
        await setSuggestedPrompts({ title: 'Here are a few things I can help with:', prompts: deps.suggestedPrompts });
      },
      // We keep no per-thread channel context, so Bolt's default (message metadata writes) is not wanted.
      threadContextChanged: async () => {},
      userMessage: async ({ message, body, context, client, setTitle }) => {
        await conversations.onMessage(
          client,
          message,
          teamOf(body, context.teamId),
          context.botUserId ?? '',
          'assistant',
          setTitle,
        );
      },
    }),
  );
  app.event('app_mention', async ({ event, body, context, client }) => {
    await conversations.onMessage(client, event, teamOf(body, context.teamId), context.botUserId ?? '', 'mention');
  });
  app.event('message', async ({ event, body, context, client }) => {
    await conversations.onMessage(client, event, teamOf(body, context.teamId), context.botUserId ?? '', 'message');
  });
  type ButtonPress = SlackActionMiddlewareArgs<BlockAction<ButtonAction>> & AllMiddlewareArgs;
  /** A button handler counted as in flight from before its ack, so whoever waits for idle() after Slack got its answer also waits for it. */
  const button = (handler: (press: ButtonPress) => Promise<void>) => (press: ButtonPress) =>
    conversations.track(handler(press));

  app.action<BlockAction<ButtonAction>>(
    APPROVAL_ACTION_PATTERN,
    button(async ({ ack, body, action, client, respond }) => {
      await ack();
      const value = parseButtonValue(action.value);
      const ref = value && parseSlackThreadKey(value.thread);
      if (!value || !ref) {
        log.warn({ action: action.action_id }, 'slack.approval_value_invalid');
        return;
      }
      const outcome = await conversations.onApprovalPress(client, {
        ref,
        approvalId: value.approval,
        approve: action.action_id === CONFIRM_ACTION_ID,
        userId: body.user.id,
        userTeam: body.user.team_id,
        actionTs: action.action_ts,
        messageTs: body.container?.message_ts ?? body.message?.ts,
        questionMrkdwn: questionFromBlocks(body.message?.blocks),
      });
      if (outcome.status === 'not_allowed' || outcome.status === 'stale') {
        await tellOnly(client, respond, {
          channel: ref.channel,
          threadTs: ref.threadTs,
          user: body.user.id,
          text: outcome.reply,
        });
      }
    }),
  );
  app.action<BlockAction<ButtonAction>>(
    ESCALATION_ACTION_PATTERN,
    button(async ({ ack, body, action, client, respond }) => {
      await ack();
      const cardTs = body.container?.message_ts ?? body.message?.ts;
      const channel = body.channel?.id ?? body.container?.channel_id;
      if (!staff || !cardTs || !channel || !action.value) {
        log.warn({ action: action.action_id }, 'slack.escalation_press_invalid');
        return;
      }
      const reply = await staff.onPress({
        team: teamOf(body, undefined),
        channel,
        cardTs,
        escalationId: action.value,
        action: action.action_id === CLAIM_ACTION_ID ? 'claim' : 'resolve',
        userId: body.user.id,
      });
      if (reply !== '') await tellOnly(client, respond, { channel, threadTs: cardTs, user: body.user.id, text: reply });
    }),
  );
  app.error(async (err) => {
    log.error({ err: err.original ?? err, code: err.code }, 'slack.error');
  });

  /** An ephemeral note to one person; through the action's response_url when Slack refuses (not a channel member). */
  async function tellOnly(
    client: WebClient,
    respond: (message: { response_type: 'ephemeral'; replace_original: false; text: string }) => Promise<unknown>,
    note: { channel: string; threadTs: string; user: string; text: string },
  ): Promise<void> {
    try {
      await client.chat.postEphemeral({
        channel: note.channel,
        thread_ts: note.threadTs,
        user: note.user,
        text: note.text,
      });
    } catch (err) {
      log.info({ reason: platformError(err), channel: note.channel }, 'slack.ephemeral_refused');
      await respond({ response_type: 'ephemeral', replace_original: false, text: note.text }).catch((cause: unknown) =>
        log.warn({ err: cause, channel: note.channel }, 'slack.ephemeral_failed'),
      );
    }
  }

  return {
    async start() {
      if (!httpReceiver) {
        await app.start();
        log.info({ mode: 'socket' }, 'slack.started');
        return { port: undefined };
      }
      const server = await app.start(config.port);
      serving = true;
      const port = (server.address() as AddressInfo | null)?.port;
      log.info({ mode: 'http', port, path: SLACK_EVENTS_PATH }, 'slack.started');
      return { port };
    },
    idle: () => conversations.idle(),
    ready: () => (socketReceiver ? (socketReceiver.client.websocket?.isActive() ?? false) : serving),
    async stop() {
      serving = false;
      await app.stop();
      await conversations.idle();
    },
  };
}
