import { Counter, collectDefaultMetrics, Gauge, Histogram, Registry } from 'prom-client';
import type { Telemetry } from '../telemetry.js';

/** Turn latency buckets in seconds: interactive turns take 0.1–10 s, slow tools and models up to a minute. */
const TURN_SECONDS_BUCKETS = [0.05, 0.1, 0.25, 0.5, 1, 2, 5, 10, 30, 60];

/** Prometheus metrics fed from the telemetry stream; one registry per app, so tests can run several. */
export function createMetrics(telemetry: Telemetry, gauges: { inboxDepth(): number }): Registry {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry, prefix: 'switchboard_process_' });
  const turns = new Counter({
    name: 'switchboard_turns_total',
    help: 'Inbound messages handled, by outcome',
    labelNames: ['status'],
    registers: [registry],
  });
  const turnSeconds = new Histogram({
    name: 'switchboard_turn_duration_seconds',
    help: 'Time from dequeue to reply, per turn',
    labelNames: ['status'],
    buckets: TURN_SECONDS_BUCKETS,
    registers: [registry],
  });
  const modelCalls = new Counter({
    name: 'switchboard_model_calls_total',
    help: 'Model calls by agent and model',
    labelNames: ['agent', 'model'],
    registers: [registry],
  });
  const tokens = new Counter({
    name: 'switchboard_model_tokens_total',
    help: 'Tokens reported by the model API',
    labelNames: ['agent', 'model', 'kind'],
    registers: [registry],
  });
  const toolCalls = new Counter({
    name: 'switchboard_tool_calls_total',
    help: 'Tool calls by tool',
    labelNames: ['agent', 'tool'],
    registers: [registry],
  });
  const toolErrors = new Counter({
    name: 'switchboard_tool_errors_total',
    help: 'Tool calls that failed',
    labelNames: ['agent', 'tool'],
    registers: [registry],
  });
  const handoffs = new Counter({
    name: 'switchboard_handoffs_total',
    help: 'Transfers between agents',
    labelNames: ['from', 'to'],
    registers: [registry],
  });
  const escalations = new Counter({
    name: 'switchboard_escalations_total',
    help: 'Escalation events',
    labelNames: ['event'],
    registers: [registry],
  });
  const dedupeHits = new Counter({
    name: 'switchboard_dedupe_hits_total',
    help: 'Redelivered messages that were not answered again',
    registers: [registry],
  });
  const lockWaits = new Counter({
    name: 'switchboard_lock_waits_total',
    help: 'Jobs that waited for another job of the same thread',
    registers: [registry],
  });
  new Gauge({
    name: 'switchboard_inbox_depth',
    help: 'Messages running or waiting for their turn in this replica',
    registers: [registry],
    collect() {
      this.set(gauges.inboxDepth());
    },
  });

  telemetry.on((event) => {
    switch (event.type) {
      case 'turn.end':
        turns.inc({ status: event.status });
        turnSeconds.observe({ status: event.status }, event.ms / 1000);
        return;
      case 'model.call':
        modelCalls.inc({ agent: event.agent, model: event.model });
        tokens.inc({ agent: event.agent, model: event.model, kind: 'prompt' }, event.promptTokens);
        tokens.inc({ agent: event.agent, model: event.model, kind: 'completion' }, event.completionTokens);
        return;
      case 'tool.call':
        toolCalls.inc({ agent: event.agent, tool: event.tool });
        if (!event.ok) toolErrors.inc({ agent: event.agent, tool: event.tool });
        return;
      case 'handoff':
        handoffs.inc({ from: event.from, to: event.to });
        return;
      case 'escalation':
        escalations.inc({ event: event.event });
        return;
      case 'dedupe.hit':
        dedupeHits.inc();
        return;
      case 'lock.wait':
        lockWaits.inc();
        return;
    }
  });
  return registry;
}
