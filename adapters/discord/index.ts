import { Client, Events, GatewayIntentBits, Partials, SlashCommandBuilder } from 'discord.js';
import type { DiscordConfig } from '../../src/config.js';
import { REPLY_RETRY_DELAYS_MS } from '../../src/conversation/replyRetries.js';
import type { ConversationService } from '../../src/conversation/service.js';
import type { EscalationDesk } from '../../src/escalation/desk.js';
import type { Logger } from '../../src/log.js';
import { DiscordConversations } from './conversation.js';
import { DiscordEscalationSide } from './escalation.js';
import { RestPressure } from './restPressure.js';
import { DiscordStaffSide } from './staff.js';

export { discordThreadKey, parseDiscordThreadKey } from './threads.js';

/** The gateway intents the bot asks for; Message Content must also be switched on in the Developer Portal. */
export const DISCORD_INTENTS = [
  GatewayIntentBits.Guilds,
  GatewayIntentBits.GuildMessages,
  GatewayIntentBits.MessageContent,
  GatewayIntentBits.DirectMessages,
];

const supportCommand = new SlashCommandBuilder()
  .setName('support')
  .setDescription('Ask the support bot a question')
  .addStringOption((option) =>
    option.setName('question').setDescription('What do you need help with?').setRequired(true).setMaxLength(2_000),
  );

export interface DiscordAdapter {
  /** Logs in and waits for the gateway to be ready; registers /support when an application id is configured. */
  start(): Promise<void>;
  /** Resolves when every message received so far has been answered. */
  idle(): Promise<void>;
  /** Logged in with a live gateway session: for /readyz. */
  ready(): boolean;
  stop(): Promise<void>;
}

export interface DiscordAdapterDeps {
  log: Logger;
  /** Human escalation: relays to customers here, and the staff channel when ESCALATION_CHANNEL is on Discord. */
  escalation?:
    | { desk: EscalationDesk; staffChannel: string | undefined; remindMention: string | undefined }
    | undefined;
  /** Pauses between tries to post a reply's final text. Default: REPLY_RETRY_DELAYS_MS. */
  replyRetryDelaysMs?: readonly number[];
  /** REST calls under way from which replies stop showing text before it is finished. Default: BACKED_UP_REST_CALLS. */
  backedUpRestCalls?: number;
}

export function createDiscordAdapter(
  config: DiscordConfig,
  service: ConversationService,
  deps: DiscordAdapterDeps,
): DiscordAdapter {
  const log = deps.log.child({ adapter: 'discord' });
  const client = new Client({
    intents: DISCORD_INTENTS,
    // DM channels are not cached before their first message; without this, DMs are dropped.
    partials: [Partials.Channel],
    ...(config.apiUrl ? { rest: { api: config.apiUrl } } : {}),
  });
  const escalation = deps.escalation;
  let staff: DiscordStaffSide | undefined;
  if (escalation) {
    const side = new DiscordEscalationSide(client, {
      channel: escalation.staffChannel,
      remindRoleId: escalation.remindMention ?? config.staffRoleId,
    });
    escalation.desk.attach(side);
    if (escalation.staffChannel) escalation.desk.attachStaffRoom(side);
    staff = new DiscordStaffSide(escalation.desk, config.staffRoleId, log);
  }
  const conversations = new DiscordConversations({
    service,
    log,
    allowedChannels: config.allowedChannels,
    staffChannel: escalation?.staffChannel,
    staff,
    replyRetryDelaysMs: deps.replyRetryDelaysMs ?? REPLY_RETRY_DELAYS_MS,
    pressure: new RestPressure(deps.backedUpRestCalls),
  });
  // Messages another replica received, or a crash left waiting, are answered here through this client.
  service.respondVia('discord', conversations.responder(client));

  client.on(Events.MessageCreate, (message) => {
    conversations
      .onMessage(message, client.user?.id ?? '')
      .catch((err: unknown) => log.error({ err, message: message.id }, 'discord.message_failed'));
  });
  client.on(Events.InteractionCreate, (interaction) => {
    const work = interaction.isButton()
      ? conversations.onButton(interaction)
      : interaction.isChatInputCommand() && interaction.commandName === 'support'
        ? conversations.onSupportCommand(interaction)
        : undefined;
    work?.catch((err: unknown) => log.error({ err, interaction: interaction.id }, 'discord.interaction_failed'));
  });
  client.on(Events.Error, (err) => log.error({ err }, 'discord.error'));
  client.on(Events.Warn, (warning) => log.warn({ warning }, 'discord.warn'));
  client.on(Events.ShardReconnecting, () => log.info('discord.reconnecting'));

  return {
    async start() {
      const ready = new Promise<void>((resolve) => client.once(Events.ClientReady, () => resolve()));
      await client.login(config.botToken);
      await ready;
      if (config.applicationId) {
        await client.application!.commands.set([supportCommand.toJSON()]);
        log.info({ command: 'support' }, 'discord.command_registered');
      }
      log.info({ user: client.user?.id }, 'discord.started');
    },
    idle: () => conversations.idle(),
    ready: () => client.isReady(),
    async stop() {
      await client.destroy();
      await conversations.idle();
    },
  };
}
