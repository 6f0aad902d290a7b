/**
 * The end-to-end benchmark's baseline: the smallest Slack bot a team could write with @slack/bolt and `openai` —
 * Socket Mode, one model call per mention, the answer posted in the thread. No store, no agents, no review.
 * Reads the same variables as `npm start`: SLACK_BOT_TOKEN, SLACK_APP_TOKEN, SLACK_API_URL, OPENAI_BASE_URL,
 * OPENAI_API_KEY, OPENAI_MODEL.
 */
import { App, LogLevel } from '@slack/bolt';
import OpenAI from 'openai';

const env = process.env;
const app = new App({
  token: env.SLACK_BOT_TOKEN,
  appToken: env.SLACK_APP_TOKEN,
  socketMode: true,
  logLevel: LogLevel.ERROR,
  clientOptions: env.SLACK_API_URL ? { slackApiUrl: env.SLACK_API_URL } : {},
});
const openai = new OpenAI({ baseURL: env.OPENAI_BASE_URL, apiKey: env.OPENAI_API_KEY ?? 'none' });

app.event('app_mention', async ({ event, client }) => {
  const completion = await openai.chat.completions.create({
    model: env.OPENAI_MODEL ?? 'gpt-4o-mini',
    messages: [
      { role: 'system', content: 'You are a helpful support assistant.' },
      { role: 'user', content: event.text },
    ],
  });
  await client.chat.postMessage({
    channel: event.channel,
    thread_ts: event.thread_ts ?? event.ts,
    text: completion.choices[0]?.message.content ?? '',
  });
});

await app.start();
process.stdout.write('minimal bolt bot: running\n');
process.on('SIGTERM', () => {
  void app.stop().finally(() => process.exit(0));
});
