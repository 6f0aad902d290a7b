/**
 * Discord messages → conversations. A conversation is a thread the bot started (or was mentioned in), or a DM
 * channel, keyed `discord:<guild>:<channel|thread>`; DMs use `@me` for the guild, as Discord's own URLs do.
 */

export const DM_GUILD = '@me';
/** Discord caps thread names at 100 characters. */
const MAX_THREAD_NAME_CHARS = 100;
const SNOWFLAKE = /^\d{15,22}$/;

export interface DiscordThreadRef {
  guild: string;
  channel: string;
}

export function discordThreadKey(ref: DiscordThreadRef): string {
  return `discord:${ref.guild}:${ref.channel}`;
}

export function parseDiscordThreadKey(key: string): DiscordThreadRef | undefined {
  const [platform, guild, channel, ...rest] = key.split(':');
  if (platform !== 'discord' || !guild || !channel || rest.length > 0) return undefined;
  if ((guild !== DM_GUILD && !SNOWFLAKE.test(guild)) || !SNOWFLAKE.test(channel)) return undefined;
  return { guild, channel };
}

export function discordMessageId(messageId: string): string {
  return `discord:message:${messageId}`;
}

/** The words for the model: the bot's mention removed. */
export function cleanContent(content: string, botUserId: string): string {
  return content.replace(new RegExp(`<@!?${botUserId}>`, 'g'), '').trim();
}

/** A thread named after the question that started it. */
export function threadName(text: string): string {
  const oneLine = text.replace(/\s+/g, ' ').trim() || 'Support request';
  return oneLine.length > MAX_THREAD_NAME_CHARS ? `${oneLine.slice(0, MAX_THREAD_NAME_CHARS - 1)}…` : oneLine;
}
