import { type Agent, afterAcknowledgement, type Tool } from '../../orchestrator/protocol.js';
import { asksAboutAction } from './actionInquiry.js';
import { fillArguments, looksUpById, namesIdentifier } from './argumentFiller.js';
import { isQuestion } from './followUp.js';
import { IntentClassifier } from './intentClassifier.js';
import { ASKS_TO_FILE, files, takesQuery } from './toolKinds.js';

/** Asking how to do something: "how do I …", "how can I …", "where do I …", "how to …". */
const HOW_TO = /\b(?:how|where) (?:do|can|should|would) (?:i|we|you)\b|\bhow to\b/i;

/** Verbs of actions that change something, as tool names use them. */
const ACTION_VERBS = new Set([
  'cancel',
  'refund',
  'delete',
  'remove',
  'close',
  'deactivate',
  'disable',
  'unsubscribe',
  'reset',
  'revoke',
  'suspend',
  'archive',
  'erase',
  'wipe',
  'pay',
  'charge',
  'transfer',
  'approve',
  'reject',
  'replace',
  'return',
]);

/** Verbs that say nothing of what an action does: request_refund's action is "refund". */
const GENERIC_VERBS = new Set([
  'get',
  'request',
  'create',
  'make',
  'do',
  'run',
  'set',
  'submit',
  'send',
  'perform',
  'execute',
]);

/** How sure the tool classifier must be before the engine proposes an action that needs the customer's confirmation. */
const ACTION_MIN_CONFIDENCE = 0.9;

/**
 * A tool that brings no examples (an MCP server's) is learned from its name as well as its description:
 * `get_shipment` is asked for as "get shipment".
 */
function namedAfter(tool: Tool): string[] {
  return tool.examples.length > 0 ? [] : [tool.name.replace(/[_-]+/g, ' ')];
}

/** The offline engine's choice of an agent's tool for a message: a classifier per agent, over its tools. */
export class ToolChoice {
  /** Each agent's classifier, and the tool names it was trained on. */
  private readonly classifiers = new Map<string, { tools: string; classifier: Promise<IntentClassifier> }>();

  /**
   * The classifier of the agent's tools, trained again when they change: an MCP server's tools can come and go
   * while the bot runs (notifications/tools/list_changed). Undefined for an agent with fewer than two tools.
   */
  classifierFor(agent: Agent): Promise<IntentClassifier> | undefined {
    const tools = agent.tools ?? [];
    if (tools.length < 2) return undefined;
    const names = tools.map((tool) => tool.name).join(',');
    const trained = this.classifiers.get(agent.id);
    if (trained?.tools === names) return trained.classifier;
    const examples = tools.flatMap((tool) =>
      [tool.description, ...tool.examples, ...namedAfter(tool)].map((utterance) => ({ utterance, intent: tool.name })),
    );
    const classifier = IntentClassifier.train(examples);
    this.classifiers.set(agent.id, { tools: names, classifier });
    return classifier;
  }

  /**
   * The tool for a message, as choose() picks it, and then:
   * - chosen by the request, not the thanks before it ("ok thanks, and how long does a refund take?");
   * - an id in the message goes to the look-up it fills, rather than a help-center search ("so when does order 1002
   *   ship", "track TRK-55501");
   * - a question goes to the help center, not to a tool that files something ("what version fixes it?");
   * - asking how to do something is for the help center too, not a record look-up, unless it names the record
   *   ("how do I download that invoice", but "how do I return ORD-1001").
   */
  async chooseFor(agent: Agent, text: string, facts: Record<string, string>): Promise<Tool | undefined> {
    const chosen = await this.choose(agent, afterAcknowledgement(text) ?? text);
    if (!chosen) return undefined;
    const tools = agent.tools ?? [];
    if (!looksUpById(chosen) && namesIdentifier(text)) {
      const lookup = tools.find(
        (t) =>
          !t.mayNeedApproval && looksUpById(t) && fillArguments(t.parameters, text, [], facts).missing.length === 0,
      );
      if (lookup) return lookup;
    }
    if (files(chosen) && isQuestion(text) && !ASKS_TO_FILE.test(text)) return tools.find(takesQuery) ?? chosen;
    if (looksUpById(chosen) && HOW_TO.test(text) && !namesIdentifier(text)) return tools.find(takesQuery) ?? chosen;
    return chosen;
  }

  /** The tool the message asks for; `besides` names one already tried, so the next best is chosen. */
  async choose(agent: Agent, text: string, besides?: string): Promise<Tool | undefined> {
    const tools = (agent.tools ?? []).filter((t) => t.name !== besides);
    if (besides !== undefined && tools.length === (agent.tools ?? []).length) return undefined;
    const classifier = await this.classifierFor(agent);
    const ranking = classifier ? (await classifier.classify(text)).ranking : [];
    // The classifier knows only these tools' names, so anything else is its no-intent class: use the agent's first tool.
    const best = besides === undefined ? ranking[0] : ranking.find((r) => tools.some((t) => t.name === r.intent));
    const { intent, score } = best ?? { intent: undefined, score: classifier ? 0 : 1 };
    const chosen = tools.find((t) => t.name === intent) ?? tools[0];
    if (!chosen?.mayNeedApproval) return chosen;
    // An action the customer must confirm (a cancellation, a refund) is offered only when the message clearly asks
    // for it: a bare "ORD-1001" or "I want to return my mouse" scored 0.5-0.8 for cancel_order, clear requests 1.0.
    // Asking about it ("has it been cancelled?", "can I get a refund?") or declining it ("don't cancel") gets a look-up.
    if (score < ACTION_MIN_CONFIDENCE || asksAboutAction(text) || !(await this.names(agent, chosen, text)))
      return tools.find((t) => !t.mayNeedApproval);
    return chosen;
  }

  /**
   * Whether the message names the tool's action: one of the verbs of its name that change things ("cancel" for
   * cancel_order, "refund" for request_refund, "delete" for ticket_delete), or else the first word of its name that
   * is not a generic verb. The classifier once scored "I want to return my webcam" 0.9 for cancel_order after other
   * tools' examples changed: an action is offered only to a message that names it.
   */
  private async names(agent: Agent, tool: Tool, text: string): Promise<boolean> {
    const classifier = await this.classifierFor(agent);
    if (!classifier) return true;
    const nameWords = tool.name.toLowerCase().split(/[_-]+/);
    const verbs = nameWords.filter((word) => ACTION_VERBS.has(word));
    const named = verbs.length > 0 ? verbs : nameWords.filter((word) => !GENERIC_VERBS.has(word)).slice(0, 1);
    if (named.length === 0) return true;
    const said = new Set(await classifier.words(text));
    for (const word of named) if ((await classifier.words(word)).some((stem) => said.has(stem))) return true;
    return false;
  }
}
