/** Measurements shared by the throughput benchmarks: percentiles, peak RSS and garbage-collection pauses. */
import { PerformanceObserver } from 'node:perf_hooks';

const RSS_SAMPLE_INTERVAL_MS = 50;

export interface Percentiles {
  p50: number;
  p99: number;
}

export function percentiles(values: number[]): Percentiles {
  const sorted = [...values].sort((a, b) => a - b);
  const at = (q: number) =>
    sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1))] ?? Number.NaN;
  return { p50: at(0.5), p99: at(0.99) };
}

/** The peak RSS from now until `stop()`, sampled on a timer (so a spike shorter than the interval may be missed). */
export function watchRss(): { stop(): number } {
  let peak = process.memoryUsage.rss();
  const timer = setInterval(() => {
    peak = Math.max(peak, process.memoryUsage.rss());
  }, RSS_SAMPLE_INTERVAL_MS);
  // A failed run never reaches stop(); the sampler must not keep the process alive then.
  timer.unref();
  return {
    stop: () => {
      clearInterval(timer);
      return Math.max(peak, process.memoryUsage.rss());
    },
  };
}

export const toMB = (bytes: number) => bytes / 2 ** 20;

export interface GcPauses {
  count: number;
  totalMs: number;
  longestMs: number;
}

/** The garbage collector's pauses from now until `stop()`, as the process's `gc` performance entries report them. */
export function watchGc(): { stop(): Promise<GcPauses> } {
  const pauses: GcPauses = { count: 0, totalMs: 0, longestMs: 0 };
  const observer = new PerformanceObserver((list) => {
    for (const entry of list.getEntries()) {
      pauses.count += 1;
      pauses.totalMs += entry.duration;
      pauses.longestMs = Math.max(pauses.longestMs, entry.duration);
    }
  });
  observer.observe({ entryTypes: ['gc'] });
  return {
    // Entries are delivered asynchronously: let the last ones arrive before disconnecting.
    stop: async () => {
      await new Promise((resolve) => setImmediate(resolve));
      observer.disconnect();
      return pauses;
    },
  };
}
