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
 * A shop's MCP server built with the SDK, over Streamable HTTP on 127.0.0.1:0 (stateless: a server per request).
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

  async start(): Promise<this> {
    this.server = createServer((req, res) => {
      void (async () => {
        const mcp = this.build();
        const transport = new StreamableHTTPServerTransport({ sessionIdGenerator: undefined });
        res.on('close', () => {
          void transport.close();
          void mcp.close();
        });
        await mcp.connect(transport);
        await transport.handleRequest(req, res, await jsonBody(req));
      })();
    });
    await new Promise<void>((resolve) => this.server!.listen(0, '127.0.0.1', resolve));
    this.port = (this.server.address() as AddressInfo).port;
    return this;
  }

  async close(): Promise<void> {
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
