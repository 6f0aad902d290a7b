import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Logger } from '../log.js';

/** A part /readyz checks: the store, or a platform connection. */
export interface ReadinessCheck {
  name: string;
  check(): Promise<boolean> | boolean;
}

/** Each readiness check gets this long before it counts as failed. */
const READINESS_CHECK_TIMEOUT_MS = 2_000;

async function passes(check: ReadinessCheck): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<boolean>((resolve) => {
    timer = setTimeout(() => resolve(false), READINESS_CHECK_TIMEOUT_MS);
  });
  try {
    return await Promise.race([Promise.resolve().then(() => check.check()), timeout]);
  } catch {
    return false;
  } finally {
    clearTimeout(timer);
  }
}

/** Every check's result by name, each run at once and each given READINESS_CHECK_TIMEOUT_MS. */
export async function checkAll(checks: ReadinessCheck[]): Promise<Record<string, boolean>> {
  return Object.fromEntries(await Promise.all(checks.map(async (check) => [check.name, await passes(check)] as const)));
}

/** Prometheus text: a prom-client Registry, or the primary's view of all workers. */
export interface MetricsSource {
  contentType: string;
  metrics(): Promise<string>;
}

/**
 * `/healthz` (the process answers), `/readyz` (store reachable, adapters connected) and `/metrics` (Prometheus).
 * Rejects with the listen error (EADDRINUSE, EACCES) when the port cannot be had.
 */
export async function startOpsServer(options: {
  port: number;
  host?: string;
  registry: MetricsSource;
  checks: ReadinessCheck[];
  /** Shown on /readyz beside the checks without deciding readiness (MCP servers: one down only degrades its tools). */
  details?: () => Record<string, unknown>;
  log: Logger;
}): Promise<{ port: number; close(): Promise<void> }> {
  const server: Server = createServer((req, res) => {
    const path = (req.url ?? '/').split('?')[0];
    if (req.method !== 'GET') return void res.writeHead(405).end();
    if (path === '/healthz') return void res.writeHead(200, { 'content-type': 'text/plain' }).end('ok');
    if (path === '/readyz') {
      void checkAll(options.checks).then((checks) => {
        const ready = Object.values(checks).every(Boolean);
        res
          .writeHead(ready ? 200 : 503, { 'content-type': 'application/json' })
          .end(JSON.stringify({ ready, checks, ...options.details?.() }));
      });
      return;
    }
    if (path === '/metrics') {
      void options.registry.metrics().then(
        (text) => res.writeHead(200, { 'content-type': options.registry.contentType }).end(text),
        (err: unknown) => {
          options.log.error({ err }, 'ops.metrics_failed');
          res.writeHead(500).end();
        },
      );
      return;
    }
    res.writeHead(404).end();
  });
  // A port in use (Prometheus itself defaults to 9090) is an 'error' event: unheard, it would crash the process.
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, options.host ?? '0.0.0.0', () => {
      server.off('error', reject);
      resolve();
    });
  });
  const port = (server.address() as AddressInfo).port;
  options.log.info({ port }, 'ops.started');
  return {
    port,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
