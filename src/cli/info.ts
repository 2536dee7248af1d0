/** `attn info`: what this installation runs on. */
import { readFileSync } from 'node:fs';
import os from 'node:os';
import { parseArgs } from 'node:util';
import { backendInfo } from '../backend/native/select.js';
import { VERSION } from '../version.js';
import { parsingUsage } from './usage.js';

const HELP = `Usage: attn info [--json]

Prints the attn version, the kernel backend in use (native, else wasm, else js; ATTN_BACKEND overrides) and why,
its thread count (the cores; ATTN_THREADS overrides, for the wasm backend's worker threads too), the SIMD path
it takes and the CPU's SIMD features.

Options:
  --json      one JSON object instead of lines
  -h, --help  show this help
`;

/** SIMD features the kernels care about, from /proc/cpuinfo where the platform has it. */
export function cpuFeatures(): string[] {
  try {
    const text = readFileSync('/proc/cpuinfo', 'utf8');
    const flags = new Set(/^flags\s*:\s*(.*)$/m.exec(text)?.[1]?.split(/\s+/) ?? []);
    return ['sse4_2', 'avx', 'avx2', 'fma', 'avx512f', 'neon', 'asimd'].filter((f) => flags.has(f));
  } catch {
    return [];
  }
}

export async function runInfo(args: readonly string[]): Promise<number> {
  const { values } = parsingUsage(() =>
    parseArgs({
      args: [...args],
      options: { json: { type: 'boolean' }, help: { type: 'boolean', short: 'h' } },
      strict: true,
      allowPositionals: false,
    }),
  );
  if (values.help) {
    process.stdout.write(HELP);
    return 0;
  }
  const backend = backendInfo();
  const info = {
    version: VERSION,
    backend: backend.name,
    reason: backend.reason,
    threads: backend.threads,
    simd: backend.simd,
    node: process.version,
    platform: `${os.platform()} ${os.arch()}`,
    cpu: os.cpus()[0]?.model ?? 'unknown',
    cores: os.availableParallelism(),
    cpuFeatures: cpuFeatures(),
  };
  if (values.json) {
    process.stdout.write(`${JSON.stringify(info)}\n`);
    return 0;
  }
  process.stdout.write(
    [
      `attn ${info.version}`,
      `backend: ${info.backend} (${info.threads} thread${info.threads === 1 ? '' : 's'}, simd: ${info.simd})`,
      `because: ${info.reason}`,
      `node: ${info.node} on ${info.platform}`,
      `cpu: ${info.cpu}, ${info.cores} cores`,
      `cpu features: ${info.cpuFeatures.join(' ') || 'none detected'}`,
    ].join('\n') + '\n',
  );
  return 0;
}
