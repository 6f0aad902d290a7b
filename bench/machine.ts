import os from 'node:os';

/** What the machine is, for every report: results from noisy machines only compare within one run. */
export interface MachineInfo {
  node: string;
  cpu: string;
  cores: number;
  platform: string;
  memoryGB: number;
  /** Taken before the run: near or above `cores`, other work shares the CPU and the spread widens. */
  loadAverage1m: number;
}

export function machineInfo(): MachineInfo {
  const cpus = os.cpus();
  return {
    node: process.version,
    cpu: cpus[0]?.model.trim() ?? 'unknown',
    cores: cpus.length,
    platform: `${process.platform} ${process.arch}`,
    memoryGB: Math.round(os.totalmem() / 2 ** 30),
    loadAverage1m: os.loadavg()[0] ?? 0,
  };
}
