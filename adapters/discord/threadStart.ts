import { type Client, DiscordAPIError, type Message, type SendableChannels } from 'discord.js';

/** Starting a second thread on one message fails with this code. */
const THREAD_ALREADY_CREATED = 160004;
const UNKNOWN_CHANNEL = 10003;

/**
 * A thread to be started from a customer's message. Discord gives such a thread the message's id, so the conversation
 * is keyed before the thread exists; this is what it takes to start it later, on whichever replica answers.
 */
export interface PendingThread {
  parent: string;
  starter: string;
  name: string;
}

/** Starts the thread under `starter`, or finds the one already started (a retried reply, another replica). */
export async function openThread(starter: Message, name: string): Promise<SendableChannels> {
  try {
    return await starter.startThread({ name });
  } catch (err) {
    if (!(err instanceof DiscordAPIError && err.code === THREAD_ALREADY_CREATED)) throw err;
    const existing = await starter.client.channels.fetch(starter.id);
    if (existing?.isSendable()) return existing;
    throw err;
  }
}

/**
 * The channel a stored message is answered in: fetched by id, or, for a conversation whose thread was never started
 * (its receiver crashed first), started now from its message.
 */
export async function channelFor(
  client: Client,
  id: string,
  pending: PendingThread | undefined,
): Promise<SendableChannels | undefined> {
  const channel = await client.channels.fetch(id).catch((err: unknown) => {
    if (pending && err instanceof DiscordAPIError && err.code === UNKNOWN_CHANNEL) return null;
    throw err;
  });
  if (channel) return channel.isSendable() ? channel : undefined;
  if (!pending) return undefined;
  const parent = await client.channels.fetch(pending.parent);
  if (!parent?.isTextBased()) return undefined;
  return openThread(await parent.messages.fetch(pending.starter), pending.name);
}

/** The pending thread a stored message's reply context describes, if any (see DiscordConversations.answer). */
export function pendingThreadOf(context: Record<string, string> | undefined, id: string): PendingThread | undefined {
  return context?.threadParent && context.threadName
    ? { parent: context.threadParent, starter: id, name: context.threadName }
    : undefined;
}
