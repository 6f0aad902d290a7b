import type { Config } from '../config.js';
import type { Logger } from '../log.js';
import { McpServers } from './mcpTools.js';

const configured = new WeakMap<Config, { servers: McpServers; ready: Promise<void> }>();

/**
 * The config file's MCP servers, connecting from the first call on; one set per config, shared by the model (whose
 * offline engine learns their tools) and the app. `ready` settles when each server is up or has failed once.
 */
export function mcpFor(config: Config, log: Logger): { servers: McpServers; ready: Promise<void> } {
  let mcp = configured.get(config);
  if (!mcp) {
    const servers = new McpServers(config.mcpServers, log);
    mcp = { servers, ready: servers.start() };
    configured.set(config, mcp);
  }
  return mcp;
}

/** Each MCP server's state, as /readyz shows it (nothing without servers). */
export function mcpDetails(config: Config, log: Logger): Record<string, unknown> {
  if (Object.keys(config.mcpServers).length === 0) return {};
  const servers = mcpFor(config, log).servers.status();
  return { mcp: Object.fromEntries(servers.map(({ server, ...state }) => [server, state])) };
}

/** Stops this config's MCP servers, if any were started. */
export async function closeMcpFor(config: Config): Promise<void> {
  await configured.get(config)?.servers.close();
}
