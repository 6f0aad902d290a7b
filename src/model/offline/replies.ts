import type { Agent, Route } from '../../orchestrator/protocol.js';

/** What the bot can help with, built from the specialists' own descriptions. */
export function capabilityList(specialists: Agent[]): string {
  return specialists.map((agent) => `- ${agent.name}: ${agent.description}`).join('\n');
}

export function greetingReply(specialists: Agent[]): string {
  return `Hi! I'm the support assistant. I can help with:\n${capabilityList(specialists)}\nWhat can I do for you?`;
}

export function capabilitiesReply(specialists: Agent[]): string {
  return `I'm the support assistant, a bot. I can help with:\n${capabilityList(specialists)}\nYou can also ask for a person at any time.`;
}

export function clarifyingReply(specialists: Agent[]): string {
  return `Sorry, I'm not sure I understood. I can help with:\n${capabilityList(specialists)}\nWhich of these is it about? If you'd rather talk to a person, just say so.`;
}

/** A message about something no agent is for ("what's the weather?"): say so, and what the bot is for. */
export function offTopicReply(specialists: Agent[]): string {
  return `Sorry, I can't help with that here: I'm the support assistant. I can help with:\n${capabilityList(specialists)}\nIs it about one of these?`;
}

export function thanksReply(): string {
  return "You're welcome! Is there anything else I can help with?";
}

/** The customer is leaving: close warmly, and ask nothing that would need an answer. */
export function goodbyeReply(): string {
  return 'Thanks for reaching out — have a good day!';
}

/** Asked for a person where no staff channel is configured (ESCALATION_CHANNEL): say so rather than promise one. */
export function humanRouteReply(): string {
  return "Sorry, I can't bring a person into this chat: no support team is connected to it. Tell me what you need, and I'll help as far as I can.";
}

export function notDoneReply(): string {
  return "Okay, I haven't done that. Is there anything else I can help with?";
}

export function toolFailedReply(reason: string): string {
  return `Sorry, I couldn't complete that: ${reason}`;
}

/** An action asked for while another waits for the customer's yes or no. */
export function oneQuestionAtATimeReply(): string {
  return "That one needs your confirmation too, but several actions are already waiting for an answer: send it again once they're done.";
}

/** A "yes" with no question waiting for it: most often to "anything else?", so ask what it is. */
export function bareYesReply(): string {
  return 'Sure, what can I help you with?';
}

/** An action queued behind a question someone else must answer first. */
export function queuedReply(): string {
  return "That needs your confirmation: I'll ask once the question waiting in this conversation is answered.";
}

/** A "no": most often to "anything else?", so close without asking again. */
export function bareNoReply(): string {
  return 'Alright. If anything else comes up, just write here.';
}

/** After note_fact: what was noted, and an open door. */
export function notedReply(input: unknown): string {
  const { key, value } = (input ?? {}) as { key?: string; value?: string };
  const what = key === 'customer_email' ? 'your email address' : (key ?? 'that').replace(/_/g, ' ');
  return `Thanks, I've noted ${what}${value ? ` (${value})` : ''}. What can I help you with?`;
}

/** A reply to a confirmation question that was neither yes nor no (the run loop asks the question again after it). */
export function nothingDoneYetReply(): string {
  return "No problem: I haven't done anything yet.";
}

/** Small talk, and asking for a person where there is no staff channel: the same words whoever answers. */
export function smallTalkReply(route: Route, specialists: Agent[]): string | undefined {
  switch (route.kind) {
    case 'greeting':
      return greetingReply(specialists);
    case 'thanks':
      return thanksReply();
    case 'goodbye':
      return goodbyeReply();
    case 'capabilities':
      return capabilitiesReply(specialists);
    case 'human':
      return humanRouteReply();
    default:
      return undefined;
  }
}
