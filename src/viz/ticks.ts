/** Axis ticks at round numbers (1, 2 or 5 times a power of ten) and their labels. */

/** The round step (1, 2 or 5 × 10^k) giving about `count` intervals over `span`. */
export function niceStep(span: number, count: number): number {
  const raw = span / Math.max(1, count);
  const power = 10 ** Math.floor(Math.log10(raw));
  const fraction = raw / power;
  // The thresholds are the geometric means of neighbouring steps (as d3 chooses): √2, √10, √50.
  const nice = fraction < Math.SQRT2 ? 1 : fraction < Math.sqrt(10) ? 2 : fraction < Math.sqrt(50) ? 5 : 10;
  return nice * power;
}

/**
 * Round ticks covering [min, max]: the first at or below `min`, the last at or above `max`, about `count`
 * intervals. A zero-width range is widened first.
 */
export function niceTicks(min: number, max: number, count = 5): number[] {
  if (!(Number.isFinite(min) && Number.isFinite(max))) return [];
  if (max < min) [min, max] = [max, min];
  if (max === min) {
    const pad = min === 0 ? 1 : Math.abs(min) * 0.1;
    min -= pad;
    max += pad;
  }
  const step = niceStep(max - min, count);
  const first = Math.floor(min / step + 1e-9);
  const last = Math.ceil(max / step - 1e-9);
  const ticks: number[] = [];
  for (let i = first; i <= last; i++) ticks.push(cleanFloat(i * step));
  return ticks;
}

/** Round ticks inside [0, max] (a colour legend's), with `max` itself added when the last tick falls well short. */
export function legendTicks(max: number, count = 5): number[] {
  const step = niceStep(max, count);
  const ticks: number[] = [];
  for (let i = 0; i * step <= max * (1 + 1e-9); i++) ticks.push(cleanFloat(i * step));
  if (max - ticks[ticks.length - 1]! > step * 0.6) ticks.push(max);
  return ticks;
}

/**
 * Ticks for a logarithmic axis over [min, max] (both > 0): powers of ten from the one at or below `min` to the
 * one at or above `max`, with 2× and 5× between them when the range spans fewer than three decades.
 */
export function logTicks(min: number, max: number): number[] {
  const low = Math.floor(Math.log10(min) + 1e-9);
  let high = Math.ceil(Math.log10(max) - 1e-9);
  if (high === low) high = low + 1;
  const ticks: number[] = [];
  const multiples = high - low < 3 ? [1, 2, 5] : [1];
  for (let e = low; e <= high; e++)
    for (const m of multiples) {
      const v = cleanFloat(m * 10 ** e);
      if (e === high && m > 1) break;
      ticks.push(v);
    }
  return ticks;
}

/** Removes binary noise such as 0.30000000000000004. */
function cleanFloat(v: number): number {
  return Number.parseFloat(v.toPrecision(12));
}

/** A short label for a number: up to `digits` significant digits, exponent form when very large or small. */
export function formatNumber(value: number, digits = 4): string {
  if (Number.isNaN(value)) return 'NaN';
  if (!Number.isFinite(value)) return value > 0 ? '∞' : '−∞';
  if (value === 0) return '0';
  const magnitude = Math.abs(value);
  if (magnitude >= 1e6 || magnitude < 1e-3) {
    const [mantissa, exponent] = value.toExponential(Math.max(0, digits - 1)).split('e');
    return `${Number.parseFloat(mantissa!)}e${Number.parseInt(exponent!, 10)}`;
  }
  return String(Number.parseFloat(value.toPrecision(digits)));
}
