/**
 * Utterances for the intents every support desk has, whatever its agents: small talk, and asking for a human
 * (complaints included). Agent-specific routing is trained from each agent's description and examples instead.
 */
export const CONVERSATION_INTENTS: Record<'greeting' | 'thanks' | 'capabilities' | 'human', string[]> = {
  greeting: ['hi', 'hello', 'hey', 'hey there', 'good morning', 'good afternoon', 'hi there, anyone around?', 'hello bot', 'yo', 'greetings'],
  thanks: ['thanks', 'thank you', 'thanks a lot', 'thank you so much', 'cheers', 'great, thanks', 'perfect, thank you', 'that helped, thanks', 'awesome thanks', 'ok thanks bye'],
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
  ],
};

export type ConversationIntent = keyof typeof CONVERSATION_INTENTS;
