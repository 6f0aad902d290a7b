/* Where the bot talks (Slack, Discord) and where its staff work, as config.ts builds them from the environment. */

/** The platform variables as the environment schema (config.ts) has parsed them. */
export interface PlatformVariables {
  SLACK_BOT_TOKEN?: string | undefined;
  SLACK_APP_TOKEN?: string | undefined;
  SLACK_SIGNING_SECRET?: string | undefined;
  SLACK_PORT: number;
  SLACK_API_URL?: string | undefined;
  SLACK_ALLOWED_CHANNELS?: string | undefined;
  DISCORD_BOT_TOKEN?: string | undefined;
  DISCORD_APPLICATION_ID?: string | undefined;
  DISCORD_ALLOWED_CHANNELS?: string | undefined;
  DISCORD_API_URL?: string | undefined;
  DISCORD_STAFF_ROLE_ID?: string | undefined;
}

/** Slack is on when SLACK_BOT_TOKEN is set: Socket Mode with SLACK_APP_TOKEN, else the HTTP Events API. */
export interface SlackConfig {
  botToken: string;
  mode: 'socket' | 'http';
  appToken: string | undefined;
  signingSecret: string | undefined;
  /** HTTP mode: the port that serves /slack/events. */
  port: number;
  /** Web API base, e.g. `https://slack.com/api/`; points elsewhere for tests and proxies. */
  apiUrl: string | undefined;
  /** Channel ids the bot answers in; undefined means every channel it is in. DMs are always answered. */
  allowedChannels: string[] | undefined;
}

/** Discord is on when DISCORD_BOT_TOKEN is set. */
export interface DiscordConfig {
  botToken: string;
  /** Registers the /support slash command at start when set. */
  applicationId: string | undefined;
  /** Channel ids (threads count as their parent channel); undefined means every channel. DMs are always answered. */
  allowedChannels: string[] | undefined;
  /** REST base, e.g. `https://discord.com/api`; points elsewhere for tests and proxies. */
  apiUrl: string | undefined;
  /** Holders of this role are staff: they may claim, resolve and escalate by hand, and their words are relayed. */
  staffRoleId: string | undefined;
}

export function slackConfig(e: PlatformVariables): SlackConfig | undefined {
  if (!e.SLACK_BOT_TOKEN) return undefined;
  const allowed = e.SLACK_ALLOWED_CHANNELS?.split(/[\s,]+/).filter(Boolean);
  return {
    botToken: e.SLACK_BOT_TOKEN,
    mode: e.SLACK_APP_TOKEN ? 'socket' : 'http',
    appToken: e.SLACK_APP_TOKEN,
    signingSecret: e.SLACK_SIGNING_SECRET,
    port: e.SLACK_PORT,
    apiUrl: e.SLACK_API_URL,
    allowedChannels: allowed && allowed.length > 0 ? allowed : undefined,
  };
}

export function discordConfig(e: PlatformVariables): DiscordConfig | undefined {
  if (!e.DISCORD_BOT_TOKEN) return undefined;
  const allowed = e.DISCORD_ALLOWED_CHANNELS?.split(/[\s,]+/).filter(Boolean);
  return {
    botToken: e.DISCORD_BOT_TOKEN,
    applicationId: e.DISCORD_APPLICATION_ID,
    allowedChannels: allowed && allowed.length > 0 ? allowed : undefined,
    apiUrl: e.DISCORD_API_URL,
    staffRoleId: e.DISCORD_STAFF_ROLE_ID,
  };
}

/** Human escalation; `channel` undefined in platform mode means no staff channel (the bot says it cannot fetch a person). */
export interface EscalationConfig {
  channel: { platform: 'slack' | 'discord'; id: string } | undefined;
  remindAfterMs: number;
  /** Who the reminder mentions: a Slack user group id (S…), `here`/`channel`, or a Discord role id (default: the staff role). */
  remindMention: string | undefined;
}
