/**
 * `npx tsx bench/ab.ts --base DIR [--rounds N] [--only NAME]`: attn against another checkout of attn (DIR, with
 * its native addon built), on every kernel and end-to-end bench of `npm run bench`, in alternating rounds (base,
 * this tree, base, …), each round in a fresh process that runs that tree's own bench code. Prints both sides'
 * best round per bench and their ratio, with the machine: the check that a refactor kept every figure.
 */
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { machineLine } from './machine.js';
import { BENCHES } from './names.js';
import { E2E_BENCHES } from './e2e/config.js';

const { values } = parseArgs({
  options: {
    base: { type: 'string' },
    rounds: { type: 'string' },
    only: { type: 'string' },
  },
  strict: true,
});
if (!values.base) {
  process.stderr.write('ab: --base DIR (another checkout of attn, addon built) is required\n');
  process.exit(2);
}
const base = resolve(values.base);
const head = fileURLToPath(new URL('..', import.meta.url));
const rounds = Number(values.rounds ?? 3);
if (!Number.isInteger(rounds) || rounds < 1) {
  process.stderr.write(`ab: --rounds must be a positive integer, got '${values.rounds}'\n`);
  process.exit(2);
}
const all = [...BENCHES.filter((b) => b !== 'attention_peak_mib_T16384'), ...E2E_BENCHES];
const names = values.only ? all.filter((b) => b === values.only) : all;
if (names.length === 0) {
  process.stderr.write(`ab: unknown bench '${values.only}'; one of: ${all.join(', ')}\n`);
  process.exit(2);
}
if (!existsSync(`${base}/build/Release/attn.node`)) {
  process.stderr.write(`ab: ${base} has no build/Release/attn.node (run npm install there)\n`);
  process.exit(2);
}

/** One figure of one tree, in a fresh process running that tree's bench code. */
function measure(tree: string, name: string): { value: number; unit: string } {
  const e2e = (E2E_BENCHES as readonly string[]).includes(name);
  const script = e2e
    ? `${tree}/bench/e2e/attn-child.ts`
    : `import { runAttn } from '${tree}/bench/attn-benches.ts';` +
      `process.stdout.write(JSON.stringify(runAttn(${JSON.stringify(name)})) + '\\n');`;
  const args = e2e
    ? ['--import', 'tsx', script, name]
    : ['--import', 'tsx', '--input-type=module', '-e', script];
  const p = spawnSync(process.execPath, args, { cwd: tree, encoding: 'utf8' });
  if (p.status !== 0) throw new Error(`${name} in ${tree} failed: ${p.stderr.trim().split('\n').at(-1)}`);
  const r = JSON.parse(p.stdout.trim().split('\n').at(-1)!) as { value: number; unit: string };
  return { value: r.value, unit: r.unit };
}

/** Higher is better for rates, lower for times. */
const higherIsBetter = (unit: string) => unit === 'GFLOP/s' || unit.endsWith('/s');

process.stdout.write(`${machineLine()}\nbase: ${base}\nhead: ${head}\nrounds: ${rounds}\n\n`);
process.stdout.write(
  `${'bench'.padEnd(34)} ${'base'.padStart(10)} ${'head'.padStart(10)}  unit       head/base\n`,
);
for (const name of names) {
  let best: { base?: number; head?: number } = {};
  let unit = '';
  for (let r = 0; r < rounds; r++) {
    for (const [side, tree] of [
      ['base', base],
      ['head', head],
    ] as const) {
      const m = measure(tree, name);
      unit = m.unit;
      const previous = best[side];
      const better =
        previous === undefined || (higherIsBetter(unit) ? m.value > previous : m.value < previous);
      if (better) best = { ...best, [side]: m.value };
    }
  }
  const ratio = higherIsBetter(unit) ? best.head! / best.base! : best.base! / best.head!;
  process.stdout.write(
    `${name.padEnd(34)} ${best.base!.toFixed(2).padStart(10)} ${best.head!.toFixed(2).padStart(10)}  ${unit.padEnd(10)} ${ratio.toFixed(3)}×\n`,
  );
}
