import { readFileSync } from 'node:fs';
import { z } from 'zod';

const INTENTS = ['greeting', 'thanks', 'goodbye', 'capabilities', 'human', 'chitchat'] as const;
/** `chitchat`: small talk and questions about anything else ("tell me a joke"), declined kindly, never escalated. */
export type ConversationIntent = (typeof INTENTS)[number];

/**
 * Utterances for the intents every support desk has, whatever its agents: small talk, and asking for a human
 * (complaints included). Agent-specific routing is trained from each agent's description and examples instead.
 * A goodbye is apart from thanks: "thanks" may come mid-conversation, "thanks, bye" ends it and wants no question back.
 */
const HAND_WRITTEN: Record<Exclude<ConversationIntent, 'chitchat'>, string[]> = {
  greeting: [
    'hi',
    'hello',
    'hey',
    'hey there',
    'good morning',
    'good afternoon',
    'hi there, anyone around?',
    'hello bot',
    'yo',
    'greetings',
    'howdy',
    'morning',
    'hi team',
    'hello support',
    'hey, how are you doing',
    'hello, is anyone there',
  ],
  thanks: [
    'thanks',
    'thank you',
    'thanks a lot',
    'thank you so much',
    'cheers',
    'great, thanks',
    'perfect, thank you',
    'that helped, thanks',
    'awesome thanks',
    'thank you very much',
    'thanks for the help',
    'much appreciated',
    'appreciate it',
    'great, that worked',
    'got it, thanks',
    'ok',
    'alright',
    'sounds good',
  ],
  goodbye: [
    'bye',
    'goodbye',
    'bye bye',
    'bye for now',
    'thanks, bye',
    'ok thanks bye',
    "that's all, bye",
    "that's all I wanted to know",
    "that's everything, thank you",
    'nothing else, thanks',
    "I don't need anything else",
    'got what I needed, bye',
    'see you later',
    'see ya',
    'talk to you later',
    'catch you later',
    'have a good day',
    'have a nice evening',
    'good night',
    'take care',
    'farewell',
    'all done, thanks',
  ],
  capabilities: [
    'what can you do',
    'what can you help me with',
    'how can you help',
    'what do you do',
    'help',
    'what are you',
    'are you a bot',
    'what kind of questions can I ask',
    'what topics do you cover',
    'menu',
    'what can I ask you',
    'what do you know about',
    'what services do you offer',
    "what's the purpose of this chat",
    'who are you',
    'how does this work',
    'can you help me',
    'what are my options',
  ],
  human: [
    'I want to talk to a person',
    'let me speak to a human',
    'can I talk to a real person',
    'connect me with an agent',
    'I need a human',
    'get me a manager',
    'transfer me to customer service staff',
    'is there a real person I can talk to',
    'this is ridiculous, I want to complain',
    'I want to file a complaint',
    'your service is terrible',
    'I am very unhappy with your service',
    'this is unacceptable',
    'worst experience ever',
    'you people are useless',
    'I am so angry about this',
    'stop giving me bot answers',
    'escalate this please',
    'can I speak to an operator',
    'agent please',
    'representative',
    'customer service representative',
    'let me speak to your supervisor',
    'can someone call me',
    'give me a phone number to call',
    'put me through to someone',
    'let me talk to your staff',
    'I want a real person, not a bot',
    'I am fed up',
    'what a disgraceful service',
    'this is hopeless',
    'I am going to post a bad review',
    'I will report you',
    'nobody is helping me',
    'I have asked three times already',
    'I am really disappointed',
    'so frustrated with this',
    'absolutely awful service',
  ],
};

/**
 * The same intents, and chit-chat ("tell me a joke", "do you like pizza", "what's the weather"), in many more
 * registers: typos, slang, non-native and templated phrasing. Written fresh, apart from the routing eval sets.
 */
const PHRASES = z
  .object(Object.fromEntries(INTENTS.map((intent) => [intent, z.array(z.string().min(1))])))
  .parse(JSON.parse(readFileSync(new URL('./conversationPhrases.json', import.meta.url), 'utf8'))) as Record<
  ConversationIntent,
  string[]
>;

export const CONVERSATION_INTENTS: Record<ConversationIntent, string[]> = Object.fromEntries(
  INTENTS.map((intent) => [
    intent,
    [...new Set([...(intent === 'chitchat' ? [] : HAND_WRITTEN[intent]), ...PHRASES[intent]])],
  ]),
) as Record<ConversationIntent, string[]>;

/**
 * Messages that say something is wrong, or ask for help, without saying with what: they get a clarifying question
 * rather than a guess at a specialist ("it's not working" is as likely an order as the app).
 */
export const VAGUE_MESSAGES: readonly string[] = [
  "it's not working",
  'it doesnt work',
  'not working',
  'something is wrong',
  'something went wrong',
  'there is a problem',
  'I have a problem',
  'I have an issue',
  'got a problem here',
  'I need help',
  'need some help please',
  'help me',
  'can you help me with something',
  'I have a question',
  'quick question',
  'question',
  'hello? anyone?',
  'it broke',
  'this is broken',
  'still not working',
  'same problem again',
  'this keeps happening',
  'why is this happening',
  'what is going on',
  'nothing works',
  'it says error',
  'I got an error',
  'I need to fix something',
  'can you check something for me',
  'I want to ask about something',
];
