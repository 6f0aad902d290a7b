import { createHmac, randomUUID } from 'node:crypto';
import { APP_ID, BOT_ID, BOT_USER_ID, TEAM_ID, VERIFICATION_TOKEN } from './slackServer.js';

/* How Slack calls the app: signed Events API and interaction deliveries, and the bodies they carry. */

let eventSequence = 0;

/** An Events API `event_callback` body as Slack POSTs it (and as the payload of an events_api envelope). */
export function eventEnvelope(
  event: Record<string, unknown>,
  opts: { eventId?: string; teamId?: string } = {},
): Record<string, unknown> {
  const teamId = opts.teamId ?? TEAM_ID;
  return {
    token: VERIFICATION_TOKEN,
    team_id: teamId,
    api_app_id: APP_ID,
    event,
    type: 'event_callback',
    event_id:
      opts.eventId ??
      `Ev0${String(++eventSequence).padStart(4, '0')}${randomUUID().replace(/-/g, '').slice(0, 5).toUpperCase()}`,
    event_time: Math.floor(Date.now() / 1000),
    authorizations: [
      { enterprise_id: null, team_id: teamId, user_id: BOT_USER_ID, is_bot: true, is_enterprise_install: false },
    ],
    is_ext_shared_channel: false,
    event_context: '4-fake',
  };
}

/** The headers Slack signs a request with: v0= + hex(HMAC-SHA256(secret, `v0:${ts}:${rawBody}`)). */
export function signSlackRequest(
  signingSecret: string,
  rawBody: string,
  timestampSec = Math.floor(Date.now() / 1000),
): { 'x-slack-signature': string; 'x-slack-request-timestamp': string } {
  const digest = createHmac('sha256', signingSecret).update(`v0:${timestampSec}:${rawBody}`).digest('hex');
  return { 'x-slack-signature': `v0=${digest}`, 'x-slack-request-timestamp': String(timestampSec) };
}

export interface DeliveryOptions {
  signingSecret: string;
  timestampSec?: number;
  /** Replaces the computed signature, to forge a request. */
  signature?: string;
  retryNum?: number;
  retryReason?: string;
  unsigned?: boolean;
}

/** POSTs an Events API body to a Bolt HTTP receiver, signed as Slack would. */
export function deliverEvent(
  url: string,
  body: Record<string, unknown>,
  opts: DeliveryOptions,
): Promise<{ status: number; body: string }> {
  return deliver(url, JSON.stringify(body), 'application/json', opts);
}

/** POSTs an interactivity payload as Slack does: a form with one `payload` field holding JSON. */
export function deliverAction(
  url: string,
  payload: Record<string, unknown>,
  opts: DeliveryOptions,
): Promise<{ status: number; body: string }> {
  return deliver(
    url,
    new URLSearchParams({ payload: JSON.stringify(payload) }).toString(),
    'application/x-www-form-urlencoded',
    opts,
  );
}

async function deliver(
  url: string,
  rawBody: string,
  contentType: string,
  opts: DeliveryOptions,
): Promise<{ status: number; body: string }> {
  const headers: Record<string, string> = { 'content-type': contentType };
  if (!opts.unsigned) {
    Object.assign(headers, signSlackRequest(opts.signingSecret, rawBody, opts.timestampSec));
    if (opts.signature !== undefined) headers['x-slack-signature'] = opts.signature;
  }
  if (opts.retryNum !== undefined) {
    headers['x-slack-retry-num'] = String(opts.retryNum);
    headers['x-slack-retry-reason'] = opts.retryReason ?? 'http_timeout';
  } else if (opts.retryReason !== undefined) {
    headers['x-slack-retry-reason'] = opts.retryReason;
  }
  const response = await fetch(url, { method: 'POST', headers, body: rawBody });
  return { status: response.status, body: await response.text() };
}

/** A button press on a message the bot posted, shaped like Slack's block_actions payload. */
export function blockActionsPayload(opts: {
  userId: string;
  channel: string;
  messageTs: string;
  threadTs?: string;
  actionId: string;
  value: string;
  blockId?: string;
  teamId?: string;
}): Record<string, unknown> {
  const teamId = opts.teamId ?? TEAM_ID;
  const threadTs = opts.threadTs === undefined ? {} : { thread_ts: opts.threadTs };
  const now = Date.now();
  const actionTs = `${Math.floor(now / 1000)}.${String((now % 1000) * 1000).padStart(6, '0')}`;
  const username = opts.userId.toLowerCase();
  return {
    type: 'block_actions',
    user: { id: opts.userId, username, name: username, team_id: teamId },
    api_app_id: APP_ID,
    token: VERIFICATION_TOKEN,
    container: {
      type: 'message',
      message_ts: opts.messageTs,
      channel_id: opts.channel,
      is_ephemeral: false,
      ...threadTs,
    },
    trigger_id: `${Math.floor(now / 1000)}.${now}.${randomUUID().replace(/-/g, '')}`,
    team: { id: teamId, domain: 'fake' },
    enterprise: null,
    is_enterprise_install: false,
    channel: { id: opts.channel, name: 'fake-channel' },
    message: { type: 'message', user: BOT_USER_ID, bot_id: BOT_ID, ts: opts.messageTs, ...threadTs, text: '' },
    state: { values: {} },
    response_url: 'http://127.0.0.1:1/unused',
    actions: [
      {
        action_id: opts.actionId,
        block_id: opts.blockId ?? 'fake_block',
        text: { type: 'plain_text', text: 'Confirm' },
        value: opts.value,
        type: 'button',
        action_ts: actionTs,
      },
    ],
  };
}
