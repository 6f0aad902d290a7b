import type { Logger } from '../log.js';
import {
  ModelError,
  type ModelProvider,
  type ModelRequest,
  type ModelResponse,
  type TextDeltaListener,
} from './types.js';

export interface CircuitBreakerOptions {
  /** Consecutive provider failures that open the circuit. */
  failureThreshold: number;
  /** How long the circuit stays open before one trial call is let through. */
  cooldownMs: number;
  log: Logger;
  now?: () => number;
}

/** Failures that say the provider is down or overloaded; a bad request or bad credentials are not outages. */
const OUTAGE_KINDS = new Set<ModelError['kind']>(['unavailable', 'timeout', 'rate_limited']);

/**
 * Stops piling turns onto a failing model provider: after `failureThreshold` outage failures in a row, calls fail at
 * once (kind `circuit_open`) for `cooldownMs`; then one trial call goes through, and its success closes the circuit.
 */
export class CircuitBreaker implements ModelProvider {
  readonly name: string;
  private failures = 0;
  private openedAt: number | undefined;
  private trial = false;
  private readonly now: () => number;

  constructor(
    private readonly provider: ModelProvider,
    private readonly options: CircuitBreakerOptions,
  ) {
    this.name = provider.name;
    this.now = options.now ?? Date.now;
  }

  get state(): 'closed' | 'open' | 'half_open' {
    if (this.openedAt === undefined) return 'closed';
    return this.now() - this.openedAt >= this.options.cooldownMs ? 'half_open' : 'open';
  }

  async complete(request: ModelRequest, onTextDelta?: TextDeltaListener): Promise<ModelResponse> {
    const state = this.state;
    if (state === 'open' || (state === 'half_open' && this.trial)) {
      throw new ModelError('circuit_open', 'the model provider is failing; calls are paused');
    }
    if (state === 'half_open') this.trial = true;
    try {
      const response = await this.provider.complete(request, onTextDelta);
      if (this.openedAt !== undefined) this.options.log.info({ provider: this.name }, 'model.circuit_closed');
      this.failures = 0;
      this.openedAt = undefined;
      return response;
    } catch (err) {
      if (err instanceof ModelError && OUTAGE_KINDS.has(err.kind)) this.recordFailure(err);
      throw err;
    } finally {
      if (state === 'half_open') this.trial = false;
    }
  }

  private recordFailure(err: ModelError): void {
    this.failures += 1;
    const reopen = this.openedAt !== undefined;
    if (reopen || this.failures >= this.options.failureThreshold) {
      this.openedAt = this.now();
      this.options.log.warn(
        { provider: this.name, failures: this.failures, kind: err.kind, cooldownMs: this.options.cooldownMs },
        'model.circuit_open',
      );
    }
  }
}
