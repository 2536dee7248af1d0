/** The line every benchmark prints about where it ran: CPU model and SIMD features, cores, memory, Node, backend. */
import os from 'node:os';
import { backendInfo } from '../src/node.js';
import { cpuFeatures } from '../src/cli/info.js';

export function machineLine(): string {
  const info = backendInfo();
  const cpu = os.cpus()[0]?.model ?? 'unknown CPU';
  return (
    `Machine: ${cpu} (${cpuFeatures().join(' ') || 'no SIMD flags read'}), ${os.availableParallelism()} cores, ` +
    `${(os.totalmem() / 2 ** 30).toFixed(0)} GiB, Node ${process.version}; attn backend ${info.name} ` +
    `(${info.threads} threads, simd ${info.simd})`
  );
}
