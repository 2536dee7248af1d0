// Child process of the peak-memory bench: prints how far one attention forward + backward at T=16384 (one head,
// d=64) raises the process's peak resident memory above what it was before the inputs were allocated, in MiB.
import { attentionStep } from './attn-benches.js';

const before = process.resourceUsage().maxRSS;
attentionStep(1, 1, 16384, 64, false)();
const after = process.resourceUsage().maxRSS;
process.stdout.write(`${(after - before) / 1024}\n`);
