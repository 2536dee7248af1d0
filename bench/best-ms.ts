/**
 * The best of `reps` timed calls of `fn`, in milliseconds, after `warmup` untimed ones: the figure the kernel
 * benches report, in Node (attn-benches.ts) and in the browser page (browser/page.ts). It imports nothing, so
 * it bundles for a page.
 */
export function bestMs(fn: () => void, reps: number, warmup = 1): number {
  for (let i = 0; i < warmup; i++) fn();
  let best = Infinity;
  for (let i = 0; i < reps; i++) {
    const t = performance.now();
    fn();
    best = Math.min(best, performance.now() - t);
  }
  return best;
}
