// Child process of the peak-memory bench: prints how far one attention forward + backward at T=16384 (one head,
// d=64, inputs and gradients included) raises the process's resident memory above what it was just before, in
// MiB. On Linux the kernel's high-water mark is reset first (writing 5 to /proc/self/clear_refs), so the figure
// is the step's own peak: the peak since start-up (ru_maxrss) is mostly loading the modules, which a step that
// needs little memory never exceeds. Elsewhere it falls back to the growth of ru_maxrss.
import { readFileSync, writeFileSync } from 'node:fs';
import { attentionStep } from './attn-benches.js';

/** VmRSS and VmHWM of this process in KiB, or null where /proc does not give them. */
function residentKiB(): { rss: number; hwm: number } | null {
  try {
    const status = readFileSync('/proc/self/status', 'utf8');
    const field = (name: string) => Number(new RegExp(`^${name}:\\s+(\\d+) kB`, 'm').exec(status)?.[1]);
    const rss = field('VmRSS');
    const hwm = field('VmHWM');
    return Number.isFinite(rss) && Number.isFinite(hwm) ? { rss, hwm } : null;
  } catch {
    return null;
  }
}

function resetHighWater(): boolean {
  try {
    writeFileSync('/proc/self/clear_refs', '5');
    return true;
  } catch {
    return false;
  }
}

const step = () => attentionStep(1, 1, 16384, 64, false)();
let growthKiB: number;
if (resetHighWater() && residentKiB() !== null) {
  const before = residentKiB()!.rss;
  step();
  growthKiB = residentKiB()!.hwm - before;
} else {
  const before = process.resourceUsage().maxRSS;
  step();
  growthKiB = process.resourceUsage().maxRSS - before;
}
process.stdout.write(`${growthKiB / 1024}\n`);
