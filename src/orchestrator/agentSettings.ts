import { ConfigError } from '../config.js';
import type { AgentSettings } from '../configFile.js';
import type { Agent } from './agent.js';
import type { Tool } from './tool.js';

export interface AgentSettingsContext {
  /** Where the settings came from, for error messages (`switchboard.yaml`). */
  file: string;
  defaultAgentId: string;
  /** Every tool the agent pack ships, by name: what `tools` may name. */
  tools: ReadonlyMap<string, Tool>;
  /** The help-center search preferring these tags (for `knowledgeTags`); its name is `knowledgeToolName`. */
  knowledgeTool?: ((tags: string[], examples: string[]) => Tool) | undefined;
  knowledgeToolName?: string | undefined;
}

/**
 * The agent pack as a config file changes it: shipped agents' fields replaced, tools removed or chosen, agents
 * removed (with every handoff to them) and new agents added (and offered to the default agent to hand to and
 * consult). Every problem is collected and thrown as one ConfigError naming the file and the place in it.
 */
export function applyAgentSettings(
  shipped: Agent[],
  settings: Record<string, AgentSettings>,
  context: AgentSettingsContext,
): Agent[] {
  const problems: string[] = [];
  const at = (id: string, field: string) => `${context.file}: agents.${id}${field ? `.${field}` : ''}`;
  const removed = new Set(
    Object.entries(settings)
      .filter(([, s]) => s.remove)
      .map(([id]) => id),
  );
  for (const id of removed) {
    if (id === context.defaultAgentId)
      problems.push(`${at(id, 'remove')}: the agent every conversation starts with cannot be removed`);
    else if (!shipped.some((a) => a.id === id))
      problems.push(`${at(id, 'remove')}: there is no shipped agent "${id}" to remove`);
  }
  // Refused above: kept, so its handoffs are not reported as broken too.
  removed.delete(context.defaultAgentId);
  const toolsFor = (id: string, field: string, names: string[]): Tool[] =>
    names.flatMap((name, i) => {
      const tool = context.tools.get(name);
      if (!tool)
        problems.push(
          `${at(id, `${field}[${i}]`)}: unknown tool "${name}" (known: ${[...context.tools.keys()].join(', ')})`,
        );
      return tool ? [tool] : [];
    });
  const agents: Agent[] = [];
  for (const agent of shipped) {
    if (removed.has(agent.id)) continue;
    const own = settings[agent.id];
    agents.push(
      own ? changed(agent, own, context, toolsFor, (f, m) => problems.push(`${at(agent.id, f)}: ${m}`)) : { ...agent },
    );
  }
  const added: string[] = [];
  for (const [id, own] of Object.entries(settings)) {
    if (own.remove || shipped.some((a) => a.id === id)) continue;
    for (const field of ['name', 'description', 'instructions'] as const)
      if (!own[field]) problems.push(`${at(id, field)}: required for a new agent`);
    if (own.removeTools) problems.push(`${at(id, 'removeTools')}: a new agent has no shipped tools to remove`);
    const base: Agent = {
      id,
      name: own.name ?? id,
      description: own.description ?? '',
      instructions: own.instructions ?? '',
      handoffs: [context.defaultAgentId],
    };
    agents.push(changed(base, own, context, toolsFor, (f, m) => problems.push(`${at(id, f)}: ${m}`)));
    added.push(id);
  }
  const ids = new Set(agents.map((a) => a.id));
  const front = agents.find((a) => a.id === context.defaultAgentId);
  for (const agent of agents) {
    const own = settings[agent.id];
    // Settings name the agents they hand to; otherwise removed agents drop out, and the front desk gains new ones.
    const keep = (list: string[] | undefined) => list?.filter((id) => ids.has(id));
    if (!own?.handoffs) agent.handoffs = keep(agent.handoffs);
    if (!own?.delegates) agent.delegates = keep(agent.delegates);
    if (agent === front) {
      if (!own?.handoffs) agent.handoffs = [...(agent.handoffs ?? []), ...added];
      if (!own?.delegates && agent.delegates) agent.delegates = [...agent.delegates, ...added];
    }
    for (const field of ['handoffs', 'delegates'] as const)
      for (const [i, target] of (agent[field] ?? []).entries())
        if (!ids.has(target) || target === agent.id)
          problems.push(`${at(agent.id, `${field}[${i}]`)}: unknown agent "${target}" (known: ${[...ids].join(', ')})`);
  }
  if (problems.length > 0) throw new ConfigError(problems);
  return agents;
}

function changed(
  agent: Agent,
  own: AgentSettings,
  context: AgentSettingsContext,
  toolsFor: (id: string, field: string, names: string[]) => Tool[],
  problem: (field: string, message: string) => void,
): Agent {
  let tools = own.tools ? toolsFor(agent.id, 'tools', own.tools) : [...(agent.tools ?? [])];
  for (const [i, name] of (own.removeTools ?? []).entries()) {
    if (!tools.some((t) => t.name === name)) problem(`removeTools[${i}]`, `${agent.id} has no tool "${name}"`);
    tools = tools.filter((t) => t.name !== name);
  }
  if (own.knowledgeTags) {
    const { knowledgeTool, knowledgeToolName } = context;
    if (!knowledgeTool || !tools.some((t) => t.name === knowledgeToolName))
      problem('knowledgeTags', `${agent.id} does not search the help center (give it the tool ${knowledgeToolName})`);
    else tools = tools.map((t) => (t.name === knowledgeToolName ? knowledgeTool(own.knowledgeTags!, t.examples) : t));
  }
  return {
    ...agent,
    ...(own.name !== undefined && { name: own.name }),
    ...(own.description !== undefined && { description: own.description }),
    ...(own.instructions !== undefined && { instructions: own.instructions }),
    ...(own.model !== undefined && { model: own.model }),
    ...(own.examples !== undefined && { examples: own.examples }),
    ...(own.review !== undefined && { review: own.review }),
    ...(own.checkFacts !== undefined && { checkFacts: own.checkFacts }),
    ...(own.handoffs !== undefined && { handoffs: own.handoffs }),
    ...(own.delegates !== undefined && { delegates: own.delegates }),
    tools,
  };
}
