import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { StreamableHTTPServerTransport } from '@modelcontextprotocol/sdk/server/streamableHttp.js';
import { z } from 'zod';

export interface RecordedMcpCall {
  tool: string;
  args: Record<string, unknown>;
  meta: Record<string, unknown> | undefined;
}

/**
 * A shop's MCP server built with the SDK, over Streamable HTTP on 127.0.0.1:0, a server per client session.
 * Tools: get_shipment (read-only), cancel_shipment (destructive), stock_check (throws), slow_report (never answers
 * until the call is cancelled). Every call is recorded with its `_meta`.
 */
export class FakeShopMcp {
  readonly calls: RecordedMcpCall[] = [];
  private server: Server | undefined;
  private port = 0;

  get url(): string {
    return `http://127.0.0.1:${this.port}/mcp`;
  }

  private build(): McpServer {
    const mcp = new McpServer({ name: 'fake-shop', version: '1.0.0' });
    const record = (tool: string, args: Record<string, unknown>, extra: { _meta?: Record<string, unknown> }) =>
      this.calls.push({ tool, args, meta: extra._meta });
    mcp.registerTool(
      'get_shipment',
      {
        title: 'Get shipment',
        description: 'Track a shipment by its tracking number (like TRK-55501): where it is and when it arrives.',
        inputSchema: { tracking_number: z.string().describe('The tracking number, e.g. TRK-55501') },
        annotations: { readOnlyHint: true },
      },
      async (args, extra) => {
        record('get_shipment', args, extra);
        return {
          content: [
            { type: 'text', text: `Shipment ${args.tracking_number} is in transit and arrives on 2026-12-09.` },
          ],
        };
      },
    );
    mcp.registerTool(
      'cancel_shipment',
      {
        title: 'Cancel shipment',
        description: 'Cancel a shipment that has not left the warehouse.',
        inputSchema: { tracking_number: z.string() },
        annotations: { destructiveHint: true },
      },
      async (args, extra) => {
        record('cancel_shipment', args, extra);
        return { content: [{ type: 'text', text: `Shipment ${args.tracking_number} is cancelled.` }] };
      },
    );
    mcp.registerTool(
      'stock_check',
      { description: 'How many of an item are in stock.', inputSchema: { sku: z.string() } },
      async (args, extra) => {
        record('stock_check', args, extra);
        throw new Error('the stock database is down');
      },
    );
    mcp.registerTool(
      'slow_report',
      { description: 'A sales report that takes a long time.', inputSchema: {} },
      async (_args, extra) => {
        record('slow_report', {}, extra);
        await new Promise<void>((resolve) => extra.signal.addEventListener('abort', () => resolve()));
        return { content: [{ type: 'text', text: 'too late' }] };
      },
    );
    return mcp;
  }

  /** Open sessions (each client that initialised), so a tool added later is announced to every one. */
  private readonly sessions = new Map<string, { mcp: McpServer; transport: StreamableHTTPServerTransport }>();

  /**
   * Adds a tool to every open session's server: the SDK sends each client notifications/tools/list_changed.
   * (New sessions get it too.)
   */
  addTool(name: string, description: string): void {
    this.extraTools.push({ name, description });
    for (const { mcp } of this.sessions.values()) this.registerExtra(mcp, name, description);
  }

  private readonly extraTools: Array<{ name: string; description: string }> = [];

  private registerExtra(mcp: McpServer, name: string, description: string): void {
    mcp.registerTool(name, { description, inputSchema: {} }, async (_args, extra) => {
      this.calls.push({ tool: name, args: {}, meta: extra._meta });
      return { content: [{ type: 'text', text: `${name} done` }] };
    });
  }

  /** Listens on `port` (0: any free one); a restarted fake passes its old port to come back at the same address. */
  async start(port = 0): Promise<this> {
    this.server = createServer((req, res) => {
      void (async () => {
        const body = req.method === 'POST' ? await jsonBody(req) : undefined;
        const id = req.headers['mcp-session-id'];
        const open = typeof id === 'string' ? this.sessions.get(id) : undefined;
        if (open) return open.transport.handleRequest(req, res, body);
        if (typeof id === 'string') return void res.writeHead(404).end();
        // A new session: its own server, kept (with its stream for notifications) until the client ends it.
        const mcp = this.build();
        for (const extra of this.extraTools) this.registerExtra(mcp, extra.name, extra.description);
        const transport: StreamableHTTPServerTransport = new StreamableHTTPServerTransport({
          sessionIdGenerator: () => randomUUID(),
          onsessioninitialized: (session) => void this.sessions.set(session, { mcp, transport }),
        });
        transport.onclose = () => {
          if (transport.sessionId) this.sessions.delete(transport.sessionId);
        };
        await mcp.connect(transport);
        await transport.handleRequest(req, res, body);
      })();
    });
    await new Promise<void>((resolve) => this.server!.listen(port, '127.0.0.1', resolve));
    this.port = (this.server.address() as AddressInfo).port;
    return this;
  }

  get listeningPort(): number {
    return this.port;
  }

  async close(): Promise<void> {
    for (const { transport } of this.sessions.values()) await transport.close().catch(() => undefined);
    this.sessions.clear();
    this.server?.closeAllConnections();
    await new Promise<void>((resolve) => (this.server ? this.server.close(() => resolve()) : resolve()));
  }
}

async function jsonBody(req: IncomingMessage): Promise<unknown> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  const text = Buffer.concat(chunks).toString('utf8');
  return text === '' ? undefined : JSON.parse(text);
}
