import type { Client } from '@modelcontextprotocol/sdk/client/index.js';
import type { Transport } from '@modelcontextprotocol/sdk/shared/transport.js';
import type { CallToolResult, Tool as McpTool } from '@modelcontextprotocol/sdk/types.js';
import type { McpServerSettings } from '../configFile.js';
import type { Logger } from '../log.js';

export type { McpTool };

/** How long a server may take to start and answer `initialize` and `tools/list`. */
export const MCP_CONNECT_TIMEOUT_MS = 10_000;
/** A tool call's timeout when the server's settings name none. */
export const MCP_CALL_TIMEOUT_MS = 30_000;
/** Reconnection waits: doubling from the first, up to the last. */
const RETRY_FIRST_MS = 1_000;
const RETRY_MAX_MS = 60_000;

export type McpStatus = 'connecting' | 'ready' | 'failed' | 'closed';

/** The MCP SDK, loaded by the first connection: a bot with no MCP servers never pays its memory (about 10 MB). */
async function loadSdk() {
  const [client, types, stdio, http] = await Promise.all([
    import('@modelcontextprotocol/sdk/client/index.js'),
    import('@modelcontextprotocol/sdk/types.js'),
    import('@modelcontextprotocol/sdk/client/stdio.js'),
    import('@modelcontextprotocol/sdk/client/streamableHttp.js'),
  ]);
  return {
    Client: client.Client,
    McpError: types.McpError,
    StdioClientTransport: stdio.StdioClientTransport,
    getDefaultEnvironment: stdio.getDefaultEnvironment,
    StreamableHTTPClientTransport: http.StreamableHTTPClientTransport,
  };
}
type McpSdk = Awaited<ReturnType<typeof loadSdk>>;
let sdk: Promise<McpSdk> | undefined;
const mcpSdk = () => (sdk ??= loadSdk());

/**
 * One configured MCP server, through the official SDK client over stdio or Streamable HTTP. It connects, lists its
 * tools (again whenever the server says they changed), and reconnects with backoff when it will not start, crashes
 * or drops the connection. A server that is down never throws out of here except from `call`, with a clear error.
 */
export class McpConnection {
  status: McpStatus = 'connecting';
  /** Why the server is not ready, when it is not. */
  problem: string | undefined;
  tools: McpTool[] = [];
  private client: Client | undefined;
  private retryMs = RETRY_FIRST_MS;
  private retryTimer: NodeJS.Timeout | undefined;
  private closed = false;
  /** Runs when the server's tool list is first known, and each time it changes. */
  onTools: ((tools: McpTool[]) => void) | undefined;

  constructor(
    readonly name: string,
    readonly settings: McpServerSettings,
    private readonly log: Logger,
  ) {}

  /** Connects once; on failure schedules retries and resolves anyway (the bot starts without this server). */
  async start(): Promise<void> {
    if (this.closed) return;
    const loaded = await mcpSdk();
    // Closed while the SDK loaded (the bot is stopping).
    if (this.closed) return;
    const client = new loaded.Client(
      { name: 'switchboard', version: '1' },
      {
        listChanged: {
          tools: {
            onChanged: (err, tools) => {
              if (err) return this.log.warn({ server: this.name, err }, 'mcp.tools_failed');
              this.setTools(tools ?? []);
            },
          },
        },
      },
    );
    try {
      const transport = this.transport(loaded);
      client.onclose = () => {
        if (this.client === client) this.failed(new Error('the connection closed'));
      };
      await client.connect(transport, { timeout: MCP_CONNECT_TIMEOUT_MS });
      // Closed while it was connecting (the bot is stopping): a stdio server left running would outlive the bot.
      if (this.closed) return void (await client.close().catch(() => undefined));
      this.client = client;
      this.setTools(await this.listTools(client));
      this.status = 'ready';
      this.problem = undefined;
      this.retryMs = RETRY_FIRST_MS;
      this.log.info({ server: this.name, tools: this.tools.map((t) => t.name) }, 'mcp.server_ready');
    } catch (err) {
      await client.close().catch(() => undefined);
      this.failed(err);
    }
  }

  private transport({ StreamableHTTPClientTransport, StdioClientTransport, getDefaultEnvironment }: McpSdk): Transport {
    const { settings } = this;
    if ('url' in settings)
      return new StreamableHTTPClientTransport(new URL(settings.url), {
        requestInit: { headers: settings.headers ?? {} },
      });
    return new StdioClientTransport({
      command: settings.command,
      args: settings.args ?? [],
      env: { ...getDefaultEnvironment(), ...settings.env },
      cwd: settings.cwd,
      // Its own log lines would otherwise go to the terminal chat.
      stderr: 'ignore',
    });
  }

  private async listTools(client: Client): Promise<McpTool[]> {
    const tools: McpTool[] = [];
    let cursor: string | undefined;
    do {
      const page = await client.listTools(cursor ? { cursor } : {}, { timeout: MCP_CONNECT_TIMEOUT_MS });
      tools.push(...page.tools);
      cursor = page.nextCursor;
    } while (cursor);
    return tools;
  }

  private setTools(tools: McpTool[]): void {
    this.tools = tools;
    this.onTools?.(tools);
  }

  private failed(err: unknown): void {
    if (this.closed) return;
    this.client = undefined;
    this.status = 'failed';
    this.problem = err instanceof Error ? err.message : String(err);
    const retryInMs = this.retryMs;
    this.retryMs = Math.min(RETRY_MAX_MS, this.retryMs * 2);
    this.log.error({ server: this.name, reason: this.problem, retryInMs }, 'mcp.server_failed');
    clearTimeout(this.retryTimer);
    this.retryTimer = setTimeout(() => void this.start(), retryInMs);
    this.retryTimer.unref();
  }

  /** Calls a tool; throws an Error whose message the model can read when the server is down or the call fails. */
  async call(tool: string, args: Record<string, unknown>, meta: Record<string, unknown>, signal: AbortSignal) {
    const client = this.client;
    if (!client || this.status !== 'ready')
      throw new Error(`the ${this.name} service is not available right now (${this.problem ?? 'still connecting'})`);
    const timeout = this.settings.timeoutMs ?? MCP_CALL_TIMEOUT_MS;
    const { McpError } = await mcpSdk();
    try {
      return (await client.callTool({ name: tool, arguments: args, _meta: meta }, undefined, {
        signal,
        timeout,
      })) as CallToolResult;
    } catch (err) {
      // The server answered with a protocol error, or the call was cut off: the connection itself is fine. Anything
      // else (a refused or dropped connection) means the server is gone: reconnect, with backoff, in the background.
      if (!(err instanceof McpError) && !signal.aborted && this.client === client) {
        this.failed(err);
        void client.close().catch(() => undefined);
        throw new Error(`the ${this.name} service is not available right now (${this.problem})`);
      }
      throw err;
    }
  }

  async close(): Promise<void> {
    this.closed = true;
    this.status = 'closed';
    clearTimeout(this.retryTimer);
    const client = this.client;
    this.client = undefined;
    await client?.close().catch(() => undefined);
  }
}
