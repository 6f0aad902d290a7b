import { z } from 'zod';
import type { McpReference, McpServerSettings } from '../configFile.js';
import type { Logger } from '../log.js';
import type { Agent, AgentRegistry } from '../orchestrator/agent.js';
import type { Tool, ToolContext } from '../orchestrator/tool.js';
import { McpConnection, type McpStatus, type McpTool } from './mcpConnection.js';

/** The key of `_meta` under which every call says who is asking, so the server can authorise. */
export const REQUESTER_META_KEY = 'switchboard/requester';

/** Names every agent has or may be offered besides its own tools: a server tool by one of these is renamed. */
const RESERVED = /^(?:note_fact|escalate_to_human|transfer_to_.+|ask_.+)$/;

/** Arguments shown in a confirmation question, at most. */
const MAX_PROMPT_ARGS_CHARS = 200;

/** What the customer sees of a call's arguments in its confirmation question. */
function describeInput(input: unknown): string {
  const entries = Object.entries((input ?? {}) as Record<string, unknown>);
  const text = entries.map(([key, value]) => `${key.replace(/_/g, ' ')} ${JSON.stringify(value)}`).join(', ');
  return text.length > MAX_PROMPT_ARGS_CHARS ? `${text.slice(0, MAX_PROMPT_ARGS_CHARS - 1)}…` : text;
}

/** Who is asking, as the server receives it in `_meta` (see the README, "Connect your systems"). */
export function requesterMeta(context: ToolContext): Record<string, unknown> {
  const { requester } = context;
  return {
    [REQUESTER_META_KEY]: {
      platform: requester.platform,
      userId: requester.userId,
      ...(requester.displayName !== undefined && { displayName: requester.displayName }),
      ...(requester.verifiedEmail !== undefined && { verifiedEmail: requester.verifiedEmail }),
    },
  };
}

/** A call's result as the model reads it: structured content as JSON, else the text parts; an error result throws. */
function resultOf(result: Awaited<ReturnType<McpConnection['call']>>): unknown {
  const text = (result.content ?? [])
    .flatMap((part) => (part.type === 'text' ? [part.text] : [`[${part.type} content]`]))
    .join('\n');
  if (result.isError) throw new Error(text || 'the tool reported an error');
  return result.structuredContent ?? text;
}

/** One server tool as the run loop holds tools. `approval` from the config wins over the tool's annotations. */
function serverTool(connection: McpConnection, info: McpTool, name: string, approval: boolean | undefined): Tool {
  const annotations = info.annotations ?? {};
  const destructive = annotations.destructiveHint === true && annotations.readOnlyHint !== true;
  const needsApproval = approval ?? destructive;
  const label = info.title ?? annotations.title ?? info.name.replace(/[_-]+/g, ' ');
  return {
    name,
    description: info.description ?? label,
    input: z.record(z.string(), z.unknown()),
    parameters: info.inputSchema as Record<string, unknown>,
    timeoutMs: connection.settings.timeoutMs,
    needsApproval: () => needsApproval,
    mayNeedApproval: needsApproval,
    approvalPrompt: (input) => `Please confirm: ${label} (${describeInput(input)})?`,
    status: `Checking with ${connection.name}…`,
    run: async (input, context) =>
      resultOf(
        await connection.call(info.name, input as Record<string, unknown>, requesterMeta(context), context.signal),
      ),
    precheck: async () => undefined,
    examples: [],
    answer: () => undefined,
  };
}

/** A tool the config names on a server that is not up: its calls say so, until the server lists the real one. */
function unavailableTool(connection: McpConnection, name: string, serverName: string): Tool {
  return {
    ...serverTool(connection, { name: serverName, inputSchema: { type: 'object' } }, name, false),
    description: `${serverName.replace(/[_-]+/g, ' ')} (from ${connection.name}, which is not available right now)`,
    run: async () => {
      throw new Error(
        `the ${connection.name} service is not available right now (${connection.problem ?? 'connecting'})`,
      );
    },
  };
}

/**
 * The config's MCP servers, and their tools on the agents that name them. Agents' tool lists follow each server's:
 * listed at start, listed again when the server says they changed, and kept (answering with an error) while it is down.
 */
export class McpServers {
  readonly connections = new Map<string, McpConnection>();

  constructor(
    servers: Record<string, McpServerSettings>,
    private readonly log: Logger,
  ) {
    for (const [name, settings] of Object.entries(servers))
      this.connections.set(name, new McpConnection(name, settings, log));
  }

  /** Connects to every server at once; resolves when each is up or has failed (and is retrying). */
  async start(): Promise<void> {
    await Promise.all([...this.connections.values()].map((c) => c.start()));
  }

  /** Each server's state, for /readyz and the start-up line. */
  status(): Array<{ server: string; status: McpStatus; problem: string | undefined; tools: number }> {
    return [...this.connections.values()].map((c) => ({
      server: c.name,
      status: c.status,
      problem: c.problem,
      tools: c.tools.length,
    }));
  }

  /** Gives each agent the server tools its settings name, now and whenever a server's list changes. */
  attach(agents: AgentRegistry, references: Record<string, McpReference[]>): void {
    const bases = new Map<Agent, Tool[]>();
    const refresh = () => {
      for (const [agentId, refs] of Object.entries(references)) {
        const agent = agents.get(agentId);
        if (!agent) continue;
        if (!bases.has(agent)) bases.set(agent, agent.tools ?? []);
        agent.tools = [...bases.get(agent)!, ...this.toolsFor(agent.id, bases.get(agent)!, refs)];
      }
    };
    for (const connection of this.connections.values()) connection.onTools = refresh;
    refresh();
  }

  private toolsFor(agentId: string, own: Tool[], refs: McpReference[]): Tool[] {
    const taken = new Set(own.map((t) => t.name));
    const out: Tool[] = [];
    for (const ref of refs) {
      const serverName = typeof ref === 'string' ? ref : ref.server;
      const connection = this.connections.get(serverName)!;
      const approval = this.approvalOf(serverName);
      const wanted = typeof ref === 'string' ? undefined : ref.tools;
      const listed = connection.tools.filter((t) => !wanted || wanted.includes(t.name));
      const missing = (wanted ?? []).filter((name) => !connection.tools.some((t) => t.name === name));
      for (const info of listed) {
        const name = this.nameFor(agentId, serverName, info.name, taken);
        out.push(serverTool(connection, info, name, approval[info.name]));
      }
      for (const toolName of missing)
        out.push(unavailableTool(connection, this.nameFor(agentId, serverName, toolName, taken), toolName));
    }
    return out;
  }

  private approvalOf(server: string): Record<string, boolean> {
    return this.connections.get(server)!.settings.approval ?? {};
  }

  /** The tool's own name, or `<server>_<name>` when the agent already has a tool by it (or it is a built-in's). */
  private nameFor(agentId: string, server: string, tool: string, taken: Set<string>): string {
    let name = tool;
    if (taken.has(name) || RESERVED.test(name)) {
      name = `${server}_${tool}`.slice(0, 64);
      this.log.warn({ agent: agentId, server, tool, as: name }, 'mcp.tool_renamed');
    }
    taken.add(name);
    return name;
  }

  async close(): Promise<void> {
    await Promise.all([...this.connections.values()].map((c) => c.close()));
  }
}
