import { ESCALATION_INSTRUCTIONS, escalateToolSpec } from '../escalation/escalationTool.js';
import type { ToolSpec } from '../model/types.js';
import type { Agent, AgentRegistry } from './agent.js';
import { askToolSpec, DELEGATION_INSTRUCTIONS, splitBackInstructions } from './delegation.js';
import { transferToolSpec } from './handoff.js';
import { type Tool, toolSpec } from './tool.js';

/** An agent's system prompt before the thread's own part (summary, facts, a pending question), and its tool list. */
export interface FixedPrompt {
  system: string;
  tools: ToolSpec[];
}

/**
 * The fixed part of every model request an agent makes: the same on every call for the same agent, role (root or
 * consulted) and escalation switch, so it is built once. Requests must not change what it returns.
 */
export class AgentPrompts {
  private readonly built = new Map<string, FixedPrompt>();

  constructor(
    private readonly agents: AgentRegistry,
    /** The agent's own tools and the built-in ones (note_fact). */
    private readonly toolsOf: (agent: Agent) => Tool[],
  ) {}

  /** At the top level an agent also gets its handoffs, the specialists it may consult and, with `escalation`, escalate_to_human. */
  for(agent: Agent, delegated: boolean, escalation: boolean): FixedPrompt {
    // An agent's MCP tools change when their server's list does: the tool names are part of what was built.
    const key = `${agent.id}|${delegated}|${escalation}|${(agent.tools ?? []).map((t) => t.name).join(',')}`;
    let fixed = this.built.get(key);
    if (!fixed) {
      fixed = this.build(agent, delegated, escalation);
      this.built.set(key, fixed);
    }
    return fixed;
  }

  private build(agent: Agent, delegated: boolean, escalation: boolean): FixedPrompt {
    const parts = [agent.instructions];
    if (!delegated && (agent.delegates ?? []).length > 0) parts.push(DELEGATION_INSTRUCTIONS);
    const splitter = (agent.handoffs ?? [])
      .map((id) => this.agents.get(id)!)
      .find((a) => (a.delegates ?? []).length > 0);
    if (!delegated && splitter && (agent.delegates ?? []).length === 0) parts.push(splitBackInstructions(splitter));
    if (escalation) parts.push(ESCALATION_INSTRUCTIONS);
    const tools = this.toolsOf(agent).map(toolSpec);
    if (!delegated) {
      tools.push(...(agent.handoffs ?? []).map((id) => transferToolSpec(this.agents.get(id)!)));
      tools.push(...(agent.delegates ?? []).map((id) => askToolSpec(this.agents.get(id)!)));
      if (escalation) tools.push(escalateToolSpec);
    }
    return { system: parts.join('\n\n'), tools };
  }
}
