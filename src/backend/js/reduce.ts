import type { KernelArgs, ReduceOp } from '../kernels.js';

/** Reduces x viewed as [outer, n, inner] along n. Sums accumulate in double precision. */
export function reduce({ op, x, outer, n, inner, out }: KernelArgs<'reduce'>): void {
  if (inner === 1) {
    for (let o = 0; o < outer; o++) out[o] = reduceRow(op, x, o * n, n);
    return;
  }
  const acc = new Float64Array(inner);
  for (let o = 0; o < outer; o++) {
    const base = o * n * inner;
    switch (op) {
      case 'sum':
        acc.fill(0);
        for (let j = 0; j < n; j++) {
          const row = base + j * inner;
          for (let i = 0; i < inner; i++) acc[i]! += x[row + i]!;
        }
        break;
      case 'max':
      case 'min': {
        const isMax = op === 'max';
        acc.fill(isMax ? -Infinity : Infinity);
        for (let j = 0; j < n; j++) {
          const row = base + j * inner;
          for (let i = 0; i < inner; i++) {
            const v = x[row + i]!;
            const cur = acc[i]!;
            if ((isMax ? v > cur : v < cur) || v !== v) acc[i] = v;
            else if (cur !== cur) acc[i] = cur;
          }
        }
        break;
      }
      case 'logsumexp': {
        acc.fill(-Infinity);
        for (let j = 0; j < n; j++) {
          const row = base + j * inner;
          for (let i = 0; i < inner; i++)
            if (x[row + i]! > acc[i]! || x[row + i] !== x[row + i]) acc[i] = x[row + i]!;
        }
        const sums = new Float64Array(inner);
        for (let j = 0; j < n; j++) {
          const row = base + j * inner;
          for (let i = 0; i < inner; i++) {
            const m = acc[i]!;
            sums[i]! += m === -Infinity ? 0 : Math.exp(x[row + i]! - m);
          }
        }
        for (let i = 0; i < inner; i++) {
          const m = acc[i]!;
          acc[i] = m === -Infinity || m === Infinity ? m : m + Math.log(sums[i]!);
        }
        break;
      }
    }
    out.set(acc, o * inner);
  }
}

function reduceRow(op: ReduceOp, x: Float32Array, start: number, n: number): number {
  const end = start + n;
  switch (op) {
    case 'sum': {
      let s = 0;
      for (let i = start; i < end; i++) s += x[i]!;
      return s;
    }
    case 'max': {
      let m = -Infinity;
      for (let i = start; i < end; i++) {
        const v = x[i]!;
        if (v > m) m = v;
        else if (v !== v) return NaN;
      }
      return m;
    }
    case 'min': {
      let m = Infinity;
      for (let i = start; i < end; i++) {
        const v = x[i]!;
        if (v < m) m = v;
        else if (v !== v) return NaN;
      }
      return m;
    }
    case 'logsumexp': {
      let m = -Infinity;
      for (let i = start; i < end; i++) {
        const v = x[i]!;
        if (v > m) m = v;
        else if (v !== v) return NaN;
      }
      if (m === -Infinity || m === Infinity) return m;
      let s = 0;
      for (let i = start; i < end; i++) s += Math.exp(x[i]! - m);
      return m + Math.log(s);
    }
  }
}

/** Index of the first maximum (minimum) along n; a NaN counts as the maximum, as in PyTorch. */
export function argReduce({ op, x, outer, n, inner, out }: KernelArgs<'argReduce'>): void {
  const isMax = op === 'argmax';
  for (let o = 0; o < outer; o++) {
    for (let i = 0; i < inner; i++) {
      const base = o * n * inner + i;
      let best = x[base]!;
      let bestIndex = 0;
      if (best === best) {
        for (let j = 1; j < n; j++) {
          const v = x[base + j * inner]!;
          if (v !== v) {
            bestIndex = j;
            break;
          }
          if (isMax ? v > best : v < best) {
            best = v;
            bestIndex = j;
          }
        }
      }
      out[o * inner + i] = bestIndex;
    }
  }
}
