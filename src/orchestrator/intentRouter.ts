import { namesEntity } from '../model/offline/entities.js';
import { type Classification, NO_INTENT } from '../model/offline/intentClassifier.js';
import { LinearClassifier } from '../model/offline/linearClassifier.js';
import type { Agent, AgentRegistry } from './agent.js';
import { CONVERSATION_INTENTS, type ConversationIntent, VAGUE_MESSAGES } from './conversationIntents.js';
import { RoutingVocabulary, SMALL_TALK } from './routingVocabulary.js';

/** Below this confidence a message counts as unclear and gets a clarifying question. */
export const ROUTE_MIN_CONFIDENCE = 0.4;
/**
 * Asking for a person is held to less: anger and complaints are said in words no list has ("I'm furious" is a
 * person's job, at 0.36), and a person is never the wrong answer to an unsure reading of one.
 */
const HUMAN_MIN_CONFIDENCE = 0.3;

const AGENT_INTENT_PREFIX = 'agent:';

/**
 * The confidence of a route the help center chose: enough for the offline engine to act on, below the fast path's
 * default threshold (0.9), so in LLM mode triage's model still reads the message first, and below the bar for
 * leaving a specialist (0.8): "I already paid tho" in an Orders conversation shares words with a billing article,
 * and that is no reason to leave Orders.
 */
const HELP_CENTER_ROUTE_SCORE = 0.75;

/** `off_topic`: small talk, or about something none of the agents is for ("what's the weather?"); `unclear`: too vague to tell. */
export type Route =
  | { kind: 'agent'; agent: Agent }
  | { kind: Exclude<ConversationIntent, 'chitchat'> }
  | { kind: 'unclear' }
  | { kind: 'off_topic' };

/** One request of a message with several, and the specialist it is for. */
export interface RequestPart {
  agent: Agent;
  text: string;
}

/**
 * Where a message says it holds a second request: "and also", "also", "plus", "another thing", "as well as",
 * "oh and", with or without a sentence end before it. Sentence ends alone are not enough ("The app crashes.
 * It started yesterday." is one request), and neither is ", and" ("cancel it and refund me").
 */
const REQUEST_BREAK =
  /(?:(?<=[.;!?])\s+|,?\s+)(?:and also|and another thing|another thing|oh and|as well as|plus|also)\b[,:]?\s+(?=\S)/i;
const MIN_PART_CHARS = 4;
const SENTENCE_END = /(?<=[.!?])\s+/;
/** How sure a sentence after small talk must route to a specialist to count as the message's request. */
const REQUEST_AFTER_SMALL_TALK_MIN_CONFIDENCE = 0.7;
const LEADING_JOINER = /^(?:also|plus|another thing)\b[,:]?\s*/i;
/**
 * Acknowledgements a request may open with: "ok and what about INV-2003", "thanks, and how long does the export
 * take?", "lol ok. do you like pizza". What follows them is the message. Words that also start requests ("no one
 * has called me", "great, …") count only when punctuation follows them.
 */
const ACKNOWLEDGEMENT =
  /^\s*(?:(?:(?:ok(?:ay)?|k+|thanks?(?: you)?(?: so much)?|thx|ty|cheers|cool|perfect|awesome|alright|all right|got it|i see|lol|haha|hm+|ah+|oh+)\b|(?:great|nice|right|sure|fine|yeah|yes|no|nope|sorry)(?=[,.!?;:-]))[\s,.!?;:-]*)+(?:(?:and|but|so|also|then|now)\b[\s,]*)*/i;

/**
 * Routes the help center is asked about: a team's articles are about its own product, which the routing phrases
 * know nothing of, so "how do I remove access for a teammate" may read as chit-chat or as unclear.
 */
const NOT_FOR_A_SPECIALIST = new Set<Route['kind']>(['off_topic', 'unclear']);

/** What follows an opening acknowledgement, or undefined when the message has none or is nothing else. */
export function afterAcknowledgement(text: string): string | undefined {
  const opening = ACKNOWLEDGEMENT.exec(text)?.[0];
  if (!opening) return undefined;
  const rest = text.slice(opening.length).trim();
  return rest.length >= MIN_PART_CHARS ? rest : undefined;
}

const isSmallTalk = (kind: Route['kind']) => (SMALL_TALK as readonly string[]).includes(kind);

/** A question, or words that ask for something: "can you cancel it then?", "please check", "how do I …". */
const ASKS = /\?\s*$|^(?:can|could|would|will|please|pls|how|what|where|when|why|is|are|do|does|did)\b/i;
/** How sure a part that asks for something must route to a specialist to count as a request. */
const ASKING_MIN_CONFIDENCE = 0.5;

/**
 * Whether a part of a message after small talk is a request for the specialist it routes to: it routes there
 * surely, or fairly surely and asks for something ("thanks, I found it" is neither).
 */
function asksOfAgent(decision: RouteDecision, text: string): boolean {
  return (
    decision.score >= REQUEST_AFTER_SMALL_TALK_MIN_CONFIDENCE ||
    (decision.score >= ASKING_MIN_CONFIDENCE && ASKS.test(text.trim()))
  );
}

/**
 * The topics a description lists ("Problems with the app or website: login, crashes, 2FA, passwords, …"), each of
 * which also trains routing on its own: inside the whole sentence one topic word weighs too little to win a message.
 */
function topicsOf(description: string): string[] {
  return description
    .split(/[:,.;]|\b(?:and|or)\b/)
    .map((topic) => topic.trim())
    .filter((topic) => topic !== '');
}

/** What the router asks of the team's help center: whether it surely answers a message. */
export interface HelpCenterProbe {
  covers(text: string): Promise<boolean>;
}

export interface RouterOptions {
  /** Asked before a message is declined as off topic or met with a clarifying question. */
  helpCenter?: HelpCenterProbe | undefined;
  /** Where a message the help center answers goes (an agent that searches it). */
  knowledgeAgent?: Agent | undefined;
}

export interface RouteDecision {
  route: Route;
  score: number;
  classification: Classification;
  ms: number;
}

/**
 * Routes a message to one of the default agent's specialists, or to a conversation intent (greeting, thanks, goodbye,
 * capabilities, human). Trained at start-up from each specialist's description and examples.
 */
export class IntentRouter {
  private constructor(
    private readonly classifier: LinearClassifier,
    private readonly agents: AgentRegistry,
    private readonly vocabulary: RoutingVocabulary,
    readonly trainingMs: number,
    private readonly options: RouterOptions,
  ) {}

  static async train(agents: AgentRegistry, options: RouterOptions = {}): Promise<IntentRouter> {
    const started = performance.now();
    const examples = [];
    const specialists = IntentRouter.specialistsOf(agents);
    const owners = new Map<string, number>();
    for (const tool of specialists.flatMap((agent) => agent.tools ?? []))
      owners.set(tool.name, (owners.get(tool.name) ?? 0) + 1);
    for (const agent of specialists) {
      const intent = `${AGENT_INTENT_PREFIX}${agent.id}`;
      for (const utterance of [agent.description, ...topicsOf(agent.description)]) examples.push({ utterance, intent });
      // What an agent's own tools are asked for is also what the agent is for. A tool several agents share
      // (the knowledge base) says nothing about which of them a message needs, so it does not train routing.
      const ownTools = (agent.tools ?? []).filter((tool) => owners.get(tool.name) === 1);
      const utterances = [...(agent.examples ?? []), ...ownTools.flatMap((tool) => tool.examples)];
      for (const utterance of utterances) examples.push({ utterance, intent });
    }
    for (const [intent, utterances] of Object.entries(CONVERSATION_INTENTS)) {
      for (const utterance of utterances) examples.push({ utterance, intent });
    }
    for (const utterance of VAGUE_MESSAGES) examples.push({ utterance, intent: NO_INTENT });
    const classifier = await LinearClassifier.train(examples);
    const vocabulary = await RoutingVocabulary.learn(
      examples,
      (text, options) => classifier.words(text, options),
      (intent) => intent.startsWith(AGENT_INTENT_PREFIX),
    );
    return new IntentRouter(classifier, agents, vocabulary, performance.now() - started, options);
  }

  /**
   * The agents requests go to: the default agent's handoff targets, or the default agent itself when it works
   * alone (one agent with tools and nobody to hand to, like a help-center-only Support agent).
   */
  static specialistsOf(agents: AgentRegistry): Agent[] {
    const handoffs = agents.defaultAgent.handoffs ?? [];
    if (handoffs.length === 0 && (agents.defaultAgent.tools ?? []).length > 0) return [agents.defaultAgent];
    return handoffs.map((id) => agents.get(id)!);
  }

  get specialists(): Agent[] {
    return IntentRouter.specialistsOf(this.agents);
  }

  /**
   * The message split into requests for different specialists, in the order written; one part (or none) when it
   * is about one thing. Pieces that route nowhere (a greeting, "thanks") join the request before them.
   */
  async splitRequests(text: string): Promise<RequestPart[]> {
    const pieces = text
      .split(REQUEST_BREAK)
      .map((p) => p.trim().replace(LEADING_JOINER, ''))
      .filter((p) => p.length >= MIN_PART_CHARS);
    if (pieces.length < 2) return [];
    const parts: RequestPart[] = [];
    for (const piece of pieces) {
      const { route } = await this.route(piece);
      const sure = route.kind === 'agent';
      const owner = sure ? parts.find((p) => p.agent.id === route.agent.id) : parts.at(-1);
      if (owner) owner.text = `${owner.text} ${piece}`;
      else if (sure) parts.push({ agent: route.agent, text: piece });
    }
    return parts;
  }

  /**
   * route(), except that small talk before a request gives way to it: "ok thanks. can you cancel it then?" is a
   * cancellation, and "great, thanks. also my invoice looks wrong" a billing question. A request is a later
   * sentence (or part) that routes to a specialist on its own; "thanks, I found it" stays a thank-you.
   */
  async routeRequest(text: string): Promise<RouteDecision> {
    const rest = afterAcknowledgement(text);
    if (rest !== undefined) {
      // "thanks, I found it" stays a thank-you; "ok and what about INV-2003" is about the invoice.
      const request = await this.route(rest);
      const kind = request.route.kind;
      const aRequest =
        (kind === 'agent' ? asksOfAgent(request, rest) : kind !== 'unclear' && !isSmallTalk(kind)) || namesEntity(rest);
      if (aRequest) return NOT_FOR_A_SPECIALIST.has(kind) ? this.askHelpCenter(rest, request) : request;
    }
    const whole = await this.route(text);
    if (NOT_FOR_A_SPECIALIST.has(whole.route.kind)) return this.askHelpCenter(text, whole);
    if (!isSmallTalk(whole.route.kind)) return whole;
    const sentences = text.split(SENTENCE_END).flatMap((sentence) => sentence.split(REQUEST_BREAK));
    for (const sentence of sentences.slice(1)) {
      const trimmed = sentence.trim().replace(LEADING_JOINER, '');
      if (trimmed.length < MIN_PART_CHARS) continue;
      const part = await this.route(trimmed);
      if (part.route.kind === 'agent' && asksOfAgent(part, trimmed)) return part;
    }
    return whole;
  }

  /**
   * A team's articles are about its own product (a note-taking app, a game server), which the routing examples know
   * nothing of: a message the help center surely answers goes to the agent that searches it, instead of being
   * declined as off topic or met with a clarifying question.
   */
  private async askHelpCenter(text: string, decision: RouteDecision): Promise<RouteDecision> {
    const { helpCenter, knowledgeAgent } = this.options;
    // "It's not working" is vague whatever an article's title says ("2FA codes are not working"): ask what it is.
    const vague = decision.classification.intent === NO_INTENT && decision.score >= ROUTE_MIN_CONFIDENCE;
    if (vague || !helpCenter || !knowledgeAgent || !(await helpCenter.covers(text))) return decision;
    return { ...decision, route: { kind: 'agent', agent: knowledgeAgent }, score: HELP_CENTER_ROUTE_SCORE };
  }

  async route(text: string): Promise<RouteDecision> {
    const started = performance.now();
    const { classification: guessedAs, words } = await this.classifier.read(text);
    const guessed = guessedAs.ranking;
    const content = this.classifier.contentOf(words);
    const ranking = this.vocabulary.rank(guessed, text, content);
    const { intent, score } = ranking[0] ?? { intent: NO_INTENT, score: 0 };
    const classification: Classification = { intent, score, ranking };
    const decided = (route: Route) => ({ route, score, classification, ms: performance.now() - started });
    if (score < (intent === 'human' ? HUMAN_MIN_CONFIDENCE : ROUTE_MIN_CONFIDENCE)) {
      const owner = this.vocabulary.ownerOf(content);
      const agent = owner && this.agents.get(owner.slice(AGENT_INTENT_PREFIX.length));
      if (agent && ranking[0]?.intent === owner)
        return { ...decided({ kind: 'agent', agent }), score: ROUTE_MIN_CONFIDENCE };
      return decided({ kind: this.vocabulary.offTopic(guessed, content) ? 'off_topic' : 'unclear' });
    }
    if (intent.startsWith(AGENT_INTENT_PREFIX)) {
      const agent = this.agents.get(intent.slice(AGENT_INTENT_PREFIX.length));
      if (agent) return decided({ kind: 'agent', agent });
    }
    // Small talk and requests for anything else ("tell me a joke", "what's the weather?") get the same kind decline.
    if (intent === 'chitchat') return decided({ kind: 'off_topic' });
    if (intent in CONVERSATION_INTENTS) return decided({ kind: intent as Exclude<ConversationIntent, 'chitchat'> });
    return decided({ kind: 'unclear' });
  }
}
