/**
 * The Discord end-to-end benchmark's baseline: the smallest Discord bot a team could write with discord.js and
 * `openai` — one model call per guild message that mentions the bot, the answer sent as a reply to it. No store, no
 * agents, no review, no threads, no streaming. Reads the same variables as `npm start`: DISCORD_BOT_TOKEN,
 * DISCORD_API_URL, OPENAI_BASE_URL, OPENAI_API_KEY, OPENAI_MODEL.
 */
import { Client, Events, GatewayIntentBits } from 'discord.js';
import OpenAI from 'openai';

const env = process.env;
const client = new Client({
  // What Switchboard's adapter asks for to read guild messages (its DM intent aside).
  intents: [GatewayIntentBits.Guilds, GatewayIntentBits.GuildMessages, GatewayIntentBits.MessageContent],
  // As adapters/discord/index.ts does: REST goes to DISCORD_API_URL, and the gateway URL comes from its /gateway/bot.
  ...(env.DISCORD_API_URL ? { rest: { api: env.DISCORD_API_URL } } : {}),
});
const openai = new OpenAI({ baseURL: env.OPENAI_BASE_URL, apiKey: env.OPENAI_API_KEY ?? 'none' });

client.on(Events.MessageCreate, (message) => {
  const botId = client.user?.id;
  if (message.author.bot || !message.inGuild() || !botId || !message.mentions.users.has(botId)) return;
  openai.chat.completions
    .create({
      model: env.OPENAI_MODEL ?? 'gpt-4o-mini',
      messages: [
        { role: 'system', content: 'You are a helpful support assistant.' },
        { role: 'user', content: message.content },
      ],
    })
    .then((completion) => message.reply(completion.choices[0]?.message.content || '(no answer)'))
    // A failed answer must not take the process down with an unhandled rejection.
    .catch((err: unknown) => process.stderr.write(`minimal discord bot: ${String(err)}\n`));
});

await client.login(env.DISCORD_BOT_TOKEN);
process.stdout.write('minimal discord bot: running\n');
process.on('SIGTERM', () => {
  void client.destroy().finally(() => process.exit(0));
});
