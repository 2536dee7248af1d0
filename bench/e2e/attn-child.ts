// attn's side of one end-to-end bench in a fresh process, as every peer runs (so no bench inherits another's
// heap): node --import tsx bench/e2e/attn-child.ts [--quick] NAME → one JSON line.
import { runAttnE2E } from './attn-e2e.js';
import { E2E_BENCHES, E2E_UNITS, type E2EName } from './config.js';

const args = process.argv.slice(2);
const name = args.find((a) => !a.startsWith('--')) as E2EName | undefined;
if (!name || !E2E_BENCHES.includes(name)) {
  process.stderr.write(`attn-child: unknown bench '${String(name)}'\n`);
  process.exit(2);
}
const value = runAttnE2E(name, args.includes('--quick'));
process.stdout.write(`${JSON.stringify({ bench: name, value, unit: E2E_UNITS[name], impl: 'attn' })}\n`);
