import {
  type Agent,
  type AgentRegistry,
  APPROVAL_QUEUED,
  askToolName,
  ESCALATE_TOOL_NAME,
  groundingVerdict,
  groundTruth,
  isEmptySearch,
  mergeDelegateAnswers,
  NOTE_FACT_TOOL_NAME,
  PERSON_OFFER,
  type RequestRouter,
  type RouteDecision,
  type Tool,
  transferTarget,
  transferToolName,
  withoutUnsupported,
} from '../../orchestrator/protocol.js';
import { parseJson } from '../../parseJson.js';
import type {
  ChatMessage,
  ModelProvider,
  ModelRequest,
  ModelResponse,
  TextDeltaListener,
  ToolCall,
  ToolSpec,
} from '../types.js';
import { argumentsForEach, emailGivenAlone, fillArguments, looksUpById } from './argumentFiller.js';
import { namesEntity } from './entities.js';
import {
  acceptsPersonOffer,
  asksWhatNow,
  bareYesOrNo,
  besidesDecliningPerson,
  declinesAll,
  escalationArguments,
  nextStepReply,
  notSolvedReply,
  quoted,
  repeatReply,
  repeatsItself,
  saysNotSolved,
  withPreviousMessage,
} from './followUp.js';
import {
  bareNoReply,
  bareYesReply,
  clarifyingReply,
  goodbyeReply,
  nothingDoneYetReply,
  offTopicReply,
  queuedReply,
  smallTalkReply,
  thanksReply,
} from './replies.js';
import {
  beforeLastUserMessage,
  consultedAnswers,
  findCall,
  lastAnswer,
  lastSpecialist,
  lastUserText,
  lastWasArticle,
  lastWithheldCall,
  responseResults,
} from './requestHistory.js';
import { ToolChoice } from './toolChoice.js';
import { canEscalate, files, namedEntities, owns } from './toolKinds.js';
import { wordResult } from './wording.js';

/**
 * How sure asking for a person must be to leave a specialist's conversation: "pls get someone to look at it" (0.43)
 * is a request for a person; a message naming an order or invoice is about that record first.
 */
const PERSON_IN_SPECIALIST_MIN_CONFIDENCE = 0.4;

/** A route this sure wins over the id a message names: "refund for order 1004" is Billing's, not Orders'. */
const SURE_ROUTE = 0.7;

/** A specialist hands a message back to triage only when the router is this sure it belongs elsewhere. */
export const TOPIC_CHANGE_MIN_CONFIDENCE = 0.8;

const NO_USAGE = { promptTokens: 0, completionTokens: 0 };

type Step = { text?: string; toolCalls?: ToolCall[] };

/**
 * The zero-key model: routes with an NLU intent classifier, fills tool arguments by entity extraction, and words
 * answers from each tool's template. It implements the same interface as the OpenAI provider, so the run loop,
 * handoffs and approvals behave exactly as with a real model.
 */
export class OfflineEngine implements ModelProvider {
  readonly name = 'offline';
  private sequence = 0;

  private readonly toolChoice = new ToolChoice();

  private constructor(
    private readonly agents: AgentRegistry,
    readonly router: RequestRouter,
  ) {}

  /** `router` reads messages (trained by whoever owns the agents, from the same agents); the engine trains its tool choice. */
  static async create(agents: AgentRegistry, router: RequestRouter): Promise<OfflineEngine> {
    const engine = new OfflineEngine(agents, router);
    for (const agent of agents.all()) await engine.toolChoice.classifierFor(agent);
    return engine;
  }

  async complete(request: ModelRequest, onTextDelta?: TextDeltaListener): Promise<ModelResponse> {
    const agent = this.agents.get(request.agent) ?? this.agents.defaultAgent;
    const step = await this.step(agent, request);
    if (step.text && onTextDelta) {
      for (const piece of step.text.match(/\S+\s*|\s+/g) ?? []) onTextDelta(piece);
    }
    return { text: step.text ?? '', toolCalls: step.toolCalls ?? [], usage: NO_USAGE };
  }

  private escalate(reason: string, text: string): Step {
    return { toolCalls: [this.call(ESCALATE_TOOL_NAME, escalationArguments(reason, text))] };
  }

  private call(name: string, args: Record<string, unknown> = {}): ToolCall {
    return { id: `offline_${++this.sequence}`, type: 'function', function: { name, arguments: JSON.stringify(args) } };
  }

  private async step(agent: Agent, request: ModelRequest): Promise<Step> {
    const { context } = request;
    switch (request.purpose) {
      // The reviewer checks that every figure and id of the draft appears in the sources.
      case 'review':
        return { text: JSON.stringify(groundingVerdict(context?.draft ?? '', context?.sources ?? [])) };
      // A template answer is worded from the sources, so a revision can only drop what they do not say.
      case 'revise':
        return { text: withoutUnsupported(context?.draft ?? '', groundTruth(context?.sources ?? [])) };
      case 'summary':
        return { text: '' };
      default:
        return this.decide(agent, request.messages, request.tools, context?.facts ?? {}, context?.awaitingConfirmation);
    }
  }

  private async decide(
    agent: Agent,
    messages: ChatMessage[],
    tools: ToolSpec[],
    facts: Record<string, string>,
    awaiting?: string,
  ): Promise<Step> {
    const last = messages.at(-1);
    if (last?.role === 'tool') {
      const call = findCall(messages, last.tool_call_id);
      // Just handed over: answer the message that caused the transfer.
      if (!call || transferTarget(call.function.name) !== undefined)
        return this.answerMessage(agent, lastUserText(messages), messages, tools, facts);
      const answers = consultedAnswers(messages, call);
      if (answers) return { text: mergeDelegateAnswers(answers) };
      // Several calls in one response (one per order named): each result worded, in the order asked.
      const results = responseResults(messages, call);
      // The help center has nothing on it, but the agent can look up a record the conversation is about ("still
      // nothing" after ORD-1001's status): that record is the likelier answer. With no record named at all, the
      // customer hears there is no article on it, rather than being asked for an order id out of the blue.
      if (results.length === 1 && isEmptySearch(results[0]![1])) {
        const text = lastUserText(messages);
        // A follow-up ("is there anything cheaper?" after the Pro plan's price) is searched again with the message
        // before it, once.
        const retry = withPreviousMessage(call, text, messages);
        if (retry) return { toolCalls: [this.call(call.function.name, retry)] };
        const instead = await this.toolChoice.choose(agent, text, call.function.name);
        const earlier = beforeLastUserMessage(messages);
        if (
          instead &&
          !instead.mayNeedApproval &&
          looksUpById(instead) &&
          fillArguments(instead.parameters, text, earlier, facts).missing.length === 0
        )
          return this.useToolNamed(instead, text, messages, facts);
      }
      const by = {
        tools: (agent.tools ?? []).map((t) => t.name),
        request: lastUserText(messages),
        people: canEscalate(tools),
      };
      const worded = results.map(([c, content]) => wordResult(agent, c, content, by)).filter((text) => text !== '');
      // Only queued behind someone else's question (nothing was asked this turn): say so rather than nothing.
      if (worded.length === 0 && results.some(([, content]) => content === APPROVAL_QUEUED))
        return { text: queuedReply() };
      const answer = worded.join('\n\n');
      if (
        repeatsItself(
          results.map(([, content]) => content),
          answer,
          messages,
        )
      )
        return { text: repeatReply(answer, by.request, by.people, agent.description) };
      return { text: answer };
    }
    const text = lastUserText(messages);
    // The reply to a confirmation question was neither yes nor no: unless it asks about something specific, say that
    // nothing was done; the run loop puts the question again.
    if (awaiting !== undefined && !(await this.asksSomethingSpecific(text))) return { text: nothingDoneYetReply() };
    return this.answerMessage(agent, text, messages, tools, facts);
  }

  /** An id, or a request clearly for this agent's topic: worth answering while a confirmation waits. */
  private async asksSomethingSpecific(text: string): Promise<boolean> {
    if (namesEntity(text)) return true;
    const { route, score } = await this.router.routeRequest(text);
    return route.kind === 'agent' && score >= TOPIC_CHANGE_MIN_CONFIDENCE;
  }

  private async answerMessage(
    agent: Agent,
    text: string,
    messages: ChatMessage[],
    tools: ToolSpec[],
    facts: Record<string, string>,
  ): Promise<Step> {
    const people = canEscalate(tools);
    // The bot offered a person and the customer said yes.
    if (people && acceptsPersonOffer(text, messages))
      return this.escalate(
        `The customer accepted the offer of a person, after: "${quoted(lastAnswer(messages))}"`,
        text,
      );
    // "no thanks, I don't need a person" is neither a request for one nor anything else to act on; "I don't want a
    // person, just refund INV-2001" is the refund.
    const besides = besidesDecliningPerson(text);
    if (besides === '') return { text: bareNoReply() };
    if (besides !== undefined) return this.answerMessage(agent, besides, messages, tools, facts);
    // A bare yes or no reaches the model only when no question of the bot's waits for this person's answer.
    const bare = bareYesOrNo(text);
    if (bare) return { text: bare === 'yes' ? bareYesReply() : bareNoReply() };
    const noted = this.noteGivenEmail(text, tools, messages);
    if (noted) return noted;
    const decision = await this.router.routeRequest(text);
    const { route } = decision;
    // Asking for a person or complaining goes to staff from any agent, when there is a staff channel.
    if (
      route.kind === 'human' &&
      people &&
      (agent.id === this.agents.defaultAgentId || decision.score >= PERSON_IN_SPECIALIST_MIN_CONFIDENCE) &&
      !namesEntity(text)
    )
      return this.escalate(`The customer wrote: "${quoted(text)}"`, text);
    if (agent.id === this.agents.defaultAgentId) {
      if ((agent.handoffs ?? []).length === 0 && (agent.tools ?? []).length > 0)
        return this.alone(agent, decision, text, messages, facts);
      return (await this.fanOut(text, tools)) ?? this.triage(agent, decision, text, messages);
    }
    const backTo = this.agents.defaultAgentId;
    // From the tools offered, not the agent's handoffs: a consulted specialist is not offered its way back.
    const canGoBack = tools.some((tool) => tool.name === transferToolName(backTo));
    // Several requests, not all for this specialist: triage splits them, so no part is dropped (only when it can
    // consult every part's specialist; otherwise it would route the whole message back here).
    if (canGoBack && (await this.splitBack(agent, text))) return { toolCalls: [this.call(transferToolName(backTo))] };
    if (route.kind === 'thanks') return { text: thanksReply() };
    if (route.kind === 'goodbye') return { text: goodbyeReply() };
    if (route.kind === 'greeting')
      return { text: `Hello! I'm ${agent.name}: ${agent.description} What can I do for you?` };
    const otherTopic =
      (route.kind === 'agent' && route.agent.id !== agent.id) ||
      route.kind === 'human' ||
      route.kind === 'capabilities' ||
      route.kind === 'off_topic';
    // Answering the bot's question ("what's the email on the order?") is not a new topic, whatever its words.
    const answering = lastWithheldCall(messages, tools);
    const elsewhere = otherTopic && decision.score >= TOPIC_CHANGE_MIN_CONFIDENCE && !answering;
    // "ok and what about INV-2001" in an Orders conversation: an id only another specialist's tools take.
    const othersId = !owns(agent, namedEntities(text)) && this.ownerOf(text) !== undefined;
    if ((elsewhere || othersId) && canGoBack) return { toolCalls: [this.call(transferToolName(backTo))] };
    // What was suggested did not help: say so and offer what is left, rather than the same answer again.
    if (
      saysNotSolved(text) &&
      !namesEntity(text) &&
      (lastWasArticle(messages) || lastAnswer(messages).includes(PERSON_OFFER))
    )
      return { text: notSolvedReply(people, (agent.tools ?? []).some(files)) };
    if (asksWhatNow(text)) return { text: nextStepReply(people, agent.description) };
    // Still answering "what's the email on the order?" without giving one: the record stays withheld, so ask again.
    const withheld = !namesEntity(text) ? answering : undefined;
    if (withheld)
      return {
        toolCalls: [
          this.call(withheld.function.name, parseJson(withheld.function.arguments) as Record<string, unknown>),
        ],
      };
    if (declinesAll(text)) return { text: bareNoReply() };
    return this.useTool(agent, text, messages, facts);
  }

  private async splitBack(agent: Agent, text: string): Promise<boolean> {
    const parts = await this.router.splitRequests(text);
    const consults = this.agents.defaultAgent.delegates ?? [];
    return (
      parts.length > 1 &&
      parts.some((p) => p.agent.id !== agent.id) &&
      parts.every((p) => consults.includes(p.agent.id))
    );
  }

  /** Several requests for different specialists it may consult: ask each about its part, side by side. */
  private async fanOut(text: string, tools: ToolSpec[]): Promise<Step | undefined> {
    const offered = new Set(tools.map((t) => t.name));
    const parts = (await this.router.splitRequests(text)).filter((part) => offered.has(askToolName(part.agent.id)));
    if (parts.length < 2) return undefined;
    return { toolCalls: parts.map((part) => this.call(askToolName(part.agent.id), { request: part.text })) };
  }

  /** The only agent (no specialists to hand to): small talk answered, everything else taken to its tools. */
  private alone(
    agent: Agent,
    decision: RouteDecision,
    text: string,
    messages: ChatMessage[],
    facts: Record<string, string>,
  ): Promise<Step> | Step {
    const reply = smallTalkReply(decision.route, [agent]);
    return reply !== undefined ? { text: reply } : this.useTool(agent, text, messages, facts);
  }

  private triage(agent: Agent, decision: RouteDecision, text: string, messages: ChatMessage[]): Step {
    const { route } = decision;
    const specialists = this.router.specialists;
    const handsTo = (id: string | undefined) =>
      id !== undefined && (agent.handoffs ?? []).includes(id)
        ? { toolCalls: [this.call(transferToolName(id))] }
        : undefined;
    // An id only one specialist's tools take says whose it is ("INV-2001?" is Billing's), whatever the words around it.
    const owner = this.ownerOf(text);
    const surely = route.kind === 'agent' && (owns(route.agent, namedEntities(text)) || decision.score >= SURE_ROUTE);
    if (owner && !surely) return handsTo(owner.id)!;
    if (route.kind === 'agent' && (agent.handoffs ?? []).includes(route.agent.id))
      return { toolCalls: [this.call(transferToolName(route.agent.id))] };
    // Back from a specialist for small talk, "tried that, still nothing" or "so what now" is still about what that
    // specialist was helping with.
    if (route.kind === 'unclear' && (saysNotSolved(text) || asksWhatNow(text))) {
      const back = handsTo(lastSpecialist(messages, this.agents.defaultAgentId));
      if (back) return back;
    }
    if (route.kind === 'off_topic') return { text: offTopicReply(specialists) };
    return { text: smallTalkReply(route, specialists) ?? clarifyingReply(specialists) };
  }

  /** The one specialist whose tools take an id the message names (an order id: Orders), if exactly one does. */
  private ownerOf(text: string): Agent | undefined {
    const named = namedEntities(text);
    if (named.length === 0) return undefined;
    const owners = this.router.specialists.filter((specialist) => owns(specialist, named));
    return owners.length === 1 ? owners[0] : undefined;
  }

  private async useTool(
    agent: Agent,
    text: string,
    messages: ChatMessage[],
    facts: Record<string, string>,
  ): Promise<Step> {
    const tool = await this.toolChoice.chooseFor(agent, text, facts);
    if (!tool)
      return { text: `I'm ${agent.name}: ${agent.description} Could you tell me a bit more about what you need?` };
    return this.useToolNamed(tool, text, messages, facts);
  }

  private useToolNamed(tool: Tool, text: string, messages: ChatMessage[], facts: Record<string, string>): Step {
    // The current message is the last user message; earlier ones are context for ids mentioned before.
    const earlier = beforeLastUserMessage(messages);
    const { args, missing } = fillArguments(tool.parameters, text, earlier, facts);
    if (missing.length) {
      const needs = missing
        .map((m) => m.description?.replace(/^./, (c) => c.toLowerCase()) ?? m.name.replace(/_/g, ' '))
        .join(' and ');
      return { text: `I can help with that. To do it I need ${needs}. Could you send it?` };
    }
    return { toolCalls: argumentsForEach(tool.parameters, args, text).map((each) => this.call(tool.name, each)) };
  }

  /**
   * "My email is li.wei@example.com", and nothing else: a detail given on its own goes on the fact sheet (so every
   * agent and staff see it), with the agent the customer is talking to, instead of being routed as a request.
   */
  private noteGivenEmail(text: string, tools: ToolSpec[], messages: ChatMessage[]): Step | undefined {
    const email = emailGivenAlone(text);
    if (!email) return undefined;
    // The answer to "what's the email address on the order?": the run loop has taken it as theirs, so ask again.
    const withheld = lastWithheldCall(messages, tools);
    if (withheld)
      return {
        toolCalls: [
          this.call(withheld.function.name, parseJson(withheld.function.arguments) as Record<string, unknown>),
        ],
      };
    if (!tools.some((t) => t.name === NOTE_FACT_TOOL_NAME)) return undefined;
    return { toolCalls: [this.call(NOTE_FACT_TOOL_NAME, { key: 'customer_email', value: email })] };
  }
}
