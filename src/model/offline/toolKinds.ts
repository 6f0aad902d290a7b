import { type Agent, ESCALATE_TOOL_NAME, type Tool } from '../../orchestrator/protocol.js';
import type { ToolSpec } from '../types.js';
import { allMatches, entityFor, looksUpById } from './argumentFiller.js';
import { ENTITIES } from './entities.js';

/** What a tool is for, read from its schema, and which ids a message names: what says whose records it is about. */

/** Asking for a filing: "report it", "file a bug", "open a ticket", "log it". */
export const ASKS_TO_FILE = /\b(?:report|file|log|open|create|raise|submit)\b/i;

const requiredOf = (tool: Tool) => (tool.parameters as { required?: string[] }).required ?? [];
/** A tool asked in words: a search of articles or records. */
export const takesQuery = (tool: Tool) => requiredOf(tool).some((name) => /query|question|search/.test(name));
/** A tool that files something new (a bug report, a ticket): neither a look-up nor a search. */
export const files = (tool: Tool) => !tool.mayNeedApproval && !looksUpById(tool) && !takesQuery(tool);

/** The ids a message names (order, invoice): what says which specialist's records it is about. */
export const namedEntities = (text: string) =>
  Object.keys(ENTITIES).filter((entity) => entity !== 'email' && allMatches(text, entity).length > 0);

/** Whether a tool takes one of these entities as an argument. */
export function takes(tool: Tool, entities: string[]): boolean {
  const properties = (tool.parameters as { properties?: Record<string, unknown> }).properties ?? {};
  return Object.keys(properties).some((name) => entities.includes(entityFor(name) ?? ''));
}

/** Whether one of the agent's tools takes one of these entities. */
export const owns = (agent: Agent, entities: string[]) => (agent.tools ?? []).some((tool) => takes(tool, entities));

/** Whether a person can be brought in: the run loop offers escalate_to_human while a staff channel is connected. */
export const canEscalate = (tools: ToolSpec[]) => tools.some((tool) => tool.name === ESCALATE_TOOL_NAME);
