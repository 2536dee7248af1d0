import { describe, expect, it } from 'vitest';
import {
  colorAt,
  COLOR_SCALE_NAMES,
  hexToRgb,
  relativeLuminance,
  rgbToHex,
} from '../../src/viz/color-scale.js';
import { escapeXml } from '../../src/viz/escape.js';
import { ansi256, displayWidth, fitColumns, shadeOf } from '../../src/viz/terminal.js';
import { formatNumber, legendTicks, logTicks, niceTicks } from '../../src/viz/ticks.js';

describe('colour scales', () => {
  it('run from their first to their last colour with monotone lightness', () => {
    expect(rgbToHex(colorAt('viridis', 0))).toBe('#440154');
    expect(rgbToHex(colorAt('viridis', 1))).toBe('#fde725');
    expect(colorAt('viridis', -3)).toEqual(colorAt('viridis', 0));
    expect(colorAt('viridis', 7)).toEqual(colorAt('viridis', 1));
    for (const name of COLOR_SCALE_NAMES) {
      const lum = Array.from({ length: 101 }, (_, i) => relativeLuminance(colorAt(name, i / 100)));
      const rising = lum[100]! > lum[0]!;
      for (let i = 1; i <= 100; i++)
        if (rising) expect(lum[i]!, `${name} at ${i}`).toBeGreaterThanOrEqual(lum[i - 1]!);
        else expect(lum[i]!, `${name} at ${i}`).toBeLessThanOrEqual(lum[i - 1]!);
    }
  });

  it('accepts custom functions and checks them', () => {
    expect(colorAt((t) => [t * 255, 300, -4], 0.5)).toEqual([128, 255, 0]);
    expect(() => colorAt(() => [NaN, 0, 0], 0.5)).toThrow(/custom colorScale/);
    expect(hexToRgb('#ff8000')).toEqual([255, 128, 0]);
  });
});

describe('ticks', () => {
  it('are round numbers covering the range', () => {
    expect(niceTicks(0.13, 0.87)).toEqual([0, 0.2, 0.4, 0.6, 0.8, 1]);
    expect(niceTicks(0, 3000, 6)).toEqual([0, 500, 1000, 1500, 2000, 2500, 3000]);
    expect(niceTicks(5, 5)).toEqual([4.4, 4.6, 4.8, 5, 5.2, 5.4, 5.6]);
    expect(legendTicks(0.86)).toEqual([0, 0.2, 0.4, 0.6, 0.8]);
    expect(legendTicks(1)).toEqual([0, 0.2, 0.4, 0.6, 0.8, 1]);
    expect(legendTicks(0.55)).toEqual([0, 0.1, 0.2, 0.3, 0.4, 0.5]);
    expect(legendTicks(0.3)).toEqual([0, 0.05, 0.1, 0.15, 0.2, 0.25, 0.3]);
    expect(legendTicks(0.175)).toEqual([0, 0.05, 0.1, 0.15]);
    expect(legendTicks(0.19)).toEqual([0, 0.05, 0.1, 0.15, 0.19]);
    expect(logTicks(0.3, 4)).toEqual([0.1, 0.2, 0.5, 1, 2, 5, 10]);
    expect(logTicks(0.03, 4)).toEqual([0.01, 0.1, 1, 10]);
    expect(logTicks(0.001, 50)).toEqual([0.001, 0.01, 0.1, 1, 10, 100]);
  });

  it('format briefly', () => {
    expect(formatNumber(0.30000000000000004)).toBe('0.3');
    expect(formatNumber(1234567)).toBe('1.235e6');
    expect(formatNumber(0.00012)).toBe('1.2e-4');
    expect(formatNumber(NaN)).toBe('NaN');
  });
});

describe('terminal helpers', () => {
  it('map colours to the xterm 256 palette', () => {
    expect(ansi256([0, 0, 0])).toBe(16);
    expect(ansi256([255, 255, 255])).toBe(231);
    expect(ansi256([255, 0, 0])).toBe(196);
    expect(ansi256([128, 128, 128])).toBe(244);
  });

  it('measure and fit text by terminal columns', () => {
    expect(displayWidth('猫です')).toBe(6);
    expect(displayWidth('e\u0301')).toBe(1);
    expect(fitColumns('attention', 5)).toBe('atte…');
    expect(fitColumns('ab', 4, 'right')).toBe('  ab');
    expect([0, 0.1, 0.2, 0.4, 0.7, 0.9, 1].map(shadeOf).join('')).toBe('  ░▒▓██');
  });

  it('escape XML', () => {
    expect(escapeXml(`<a href="x">'&'</a>\u0001`)).toBe(
      '&lt;a href=&quot;x&quot;&gt;&#39;&amp;&#39;&lt;/a&gt;\uFFFD',
    );
  });
});
