/** What the core reports about its work, for metrics and user code; logs stay where the decisions are made. */
export type TelemetryEvent =
  | { type: 'turn.end'; status: string; agent: string; ms: number }
  | { type: 'model.call'; agent: string; model: string; promptTokens: number; completionTokens: number; ms: number }
  | { type: 'tool.call'; agent: string; tool: string; ok: boolean; ms: number }
  | { type: 'handoff'; from: string; to: string }
  | { type: 'escalation'; event: 'opened' | 'claimed' | 'resolved' | 'reminded' }
  | { type: 'dedupe.hit' }
  /** A job had to wait for another job of the same thread (the per-thread lock was taken). */
  | { type: 'lock.wait'; thread: string };

export type TelemetryListener = (event: TelemetryEvent) => void;

/** One typed stream; a throwing listener is isolated from the others and from the work that emitted. */
export class Telemetry {
  private readonly listeners: TelemetryListener[] = [];

  on(listener: TelemetryListener): () => void {
    this.listeners.push(listener);
    return () => {
      const at = this.listeners.indexOf(listener);
      if (at >= 0) this.listeners.splice(at, 1);
    };
  }

  emit(event: TelemetryEvent): void {
    for (const listener of this.listeners) {
      try {
        listener(event);
      } catch {
        // A metrics bug must never fail a customer's turn.
      }
    }
  }
}
