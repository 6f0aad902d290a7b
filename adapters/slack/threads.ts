/**
 * Slack events → conversations. A conversation is one Slack thread, keyed
 * `slack:<team>:<channel>:<thread_ts>`; a message's own key (`…:<ts>`) is its dedupe id, which is the same
 * for the `app_mention` and the `message` event Slack sends for one post, and for every retry of either.
 */

export interface SlackThreadRef {
  team: string;
  channel: string;
  threadTs: string;
}

const TS_PATTERN = /^\d{6,}\.\d{6}$/;

export function slackThreadKey(ref: SlackThreadRef): string {
  return `slack:${ref.team}:${ref.channel}:${ref.threadTs}`;
}

export function parseSlackThreadKey(key: string): SlackThreadRef | undefined {
  const [platform, team, channel, threadTs, ...rest] = key.split(':');
  if (platform !== 'slack' || !team || !channel || !threadTs || rest.length > 0 || !TS_PATTERN.test(threadTs))
    return undefined;
  return { team, channel, threadTs };
}

/** A Slack timestamp (`1700000000.000100`) as ms since the epoch; undefined for anything else. */
export function slackTsToMs(ts: string | undefined): number | undefined {
  const seconds = Number(ts);
  return ts && Number.isFinite(seconds) ? Math.floor(seconds * 1000) : undefined;
}

export function slackMessageId(team: string, channel: string, ts: string): string {
  return `slack:${team}:${channel}:${ts}`;
}

/** The fields of a Slack message or app_mention event that we rely on; parsed, not trusted. */
export interface SlackMessageFields {
  type: string;
  subtype?: string | undefined;
  channel: string;
  channelType: string | undefined;
  user: string | undefined;
  /** The poster's own team, which differs from the workspace's in Slack Connect channels. */
  userTeam: string | undefined;
  botId: string | undefined;
  text: string;
  ts: string;
  threadTs: string | undefined;
  /** Files shared with the message (`file_share`), by name and MIME type. */
  files: Array<{ name: string; kind?: string }>;
}

/** Message subtypes that carry a person's words; every other subtype (edits, joins, deletions…) is ignored. */
const USER_TEXT_SUBTYPES = new Set([undefined, 'file_share', 'thread_broadcast']);

function stringField(record: Record<string, unknown>, name: string): string | undefined {
  const value = record[name];
  return typeof value === 'string' ? value : undefined;
}

export function readMessageFields(event: unknown): SlackMessageFields | undefined {
  if (typeof event !== 'object' || event === null) return undefined;
  const record = event as Record<string, unknown>;
  const type = stringField(record, 'type');
  const channel = stringField(record, 'channel');
  const ts = stringField(record, 'ts');
  if (!type || !channel || !ts) return undefined;
  return {
    type,
    subtype: stringField(record, 'subtype'),
    channel,
    channelType: stringField(record, 'channel_type'),
    user: stringField(record, 'user'),
    userTeam: stringField(record, 'user_team') ?? stringField(record, 'team'),
    botId: stringField(record, 'bot_id'),
    text: stringField(record, 'text') ?? '',
    ts,
    threadTs: stringField(record, 'thread_ts'),
    files: filesOf(record.files),
  };
}

function filesOf(value: unknown): Array<{ name: string; kind?: string }> {
  if (!Array.isArray(value)) return [];
  return value.flatMap((file) => {
    if (typeof file !== 'object' || file === null) return [];
    const record = file as Record<string, unknown>;
    const name = stringField(record, 'name') ?? stringField(record, 'title') ?? 'a file';
    const kind = stringField(record, 'mimetype');
    return [kind ? { name, kind } : { name }];
  });
}

export type IgnoreReason = 'bot' | 'subtype' | 'no_user' | 'channel_not_allowed' | 'empty';

/** Why an event must not be answered, or undefined when it is a person's message we may answer. */
export function ignoreReason(
  message: SlackMessageFields,
  botUserId: string,
  allowedChannels: string[] | undefined,
): IgnoreReason | undefined {
  if (message.botId !== undefined || message.user === botUserId || message.subtype === 'bot_message') return 'bot';
  if (!USER_TEXT_SUBTYPES.has(message.subtype)) return 'subtype';
  if (!message.user) return 'no_user';
  if (allowedChannels && !isDirectMessage(message) && !allowedChannels.includes(message.channel))
    return 'channel_not_allowed';
  return undefined;
}

export function isDirectMessage(message: Pick<SlackMessageFields, 'channel' | 'channelType'>): boolean {
  return message.channelType === 'im' || (message.channelType === undefined && message.channel.startsWith('D'));
}

export function mentionsBot(text: string, botUserId: string): boolean {
  return text.includes(`<@${botUserId}>`) || text.includes(`<@${botUserId}|`);
}

/** The words for the model: the bot's own mention removed, Slack's three HTML entities decoded. */
export function cleanText(text: string, botUserId: string): string {
  return text
    .replace(new RegExp(`<@${botUserId}(\\|[^>]*)?>`, 'g'), '')
    .replace(/&lt;/g, '<')
    .replace(/&gt;/g, '>')
    .replace(/&amp;/g, '&')
    .trim();
}
