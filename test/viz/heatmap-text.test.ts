import { describe, expect, it } from 'vitest';
import { heatmapText } from '../../src/viz/heatmap-text.js';
import { displayWidth } from '../../src/viz/terminal.js';

const source = ['the', 'cat', 'sat'];
const target = ['le', 'chat'];
const weights = [
  [1, 0.5, 0],
  [0.25, 0.75, 0.1],
];
// eslint-disable-next-line no-control-regex
const stripAnsi = (s: string) => s.replace(/\x1b\[[0-9;]*m/g, '');

describe('heatmapText', () => {
  it('draws a header, one line per target token and a legend, with shade blocks by weight', () => {
    const lines = heatmapText(weights, source, target).split('\n');
    expect(lines).toHaveLength(1 + 2 + 1);
    expect(lines[0]!.trim().split(/\s+/)).toEqual(source);
    expect(lines[1]!.startsWith('  le ')).toBe(true);
    expect(lines[2]!.startsWith('chat ')).toBe(true);
    // Cells are `cellWidth` repeats of one shade: round(4 · weight / max) picks from ' ░▒▓█'.
    const cellWidth = 4; // longest source token (3) + 1
    const cellsOf = (line: string) =>
      Array.from({ length: 3 }, (_, c) => line.slice(5 + c * cellWidth, 5 + (c + 1) * cellWidth));
    expect(cellsOf(lines[1]!)).toEqual(['████', '▒▒▒▒', '    ']);
    expect(cellsOf(lines[2]!)).toEqual(['░░░░', '▓▓▓▓', '    ']);
    expect(lines[3]).toContain('█ ≥0.88');
    for (const line of lines) expect(displayWidth(line)).toBe(displayWidth(lines[0]!));
  });

  it('writes long source tokens downwards and fits the width', () => {
    const longs = ['attention', 'is', 'everything'];
    const lines = heatmapText(weights, longs, target, { width: 20, legend: false }).split('\n');
    // 8 header lines (labels cut to 8 characters with '…'), then the rows.
    expect(lines).toHaveLength(8 + 2);
    expect(lines[0]).toBe('     a i e ');
    expect(lines[7]).toBe('     …   … ');
    for (const line of lines) expect(displayWidth(line)).toBeLessThanOrEqual(20);
  });

  it('uses ANSI 256-colour backgrounds on request', () => {
    const text = heatmapText(weights, source, target, { color: true });
    expect(text).toContain('\x1b[48;5;');
    expect(text).toContain('\x1b[0m');
    expect(text).not.toMatch(/[░▒▓█]/);
    const lines = text.split('\n').map(stripAnsi);
    for (const line of lines) expect(displayWidth(line)).toBe(displayWidth(lines[0]!));
  });

  it('keeps control characters in tokens from reaching the terminal', () => {
    const text = heatmapText([[1]], ['\x1b[2J'], ['x\x07']);
    expect(text).not.toContain('\x1b');
    expect(text).not.toContain('\x07');
  });

  it('labels positions by index without tokens and checks token counts', () => {
    expect(heatmapText(weights).split('\n')[0]!.trim().split(/\s+/)).toEqual(['0', '1', '2']);
    expect(() => heatmapText(weights, ['a'], target)).toThrow('heatmapText: sourceTokens has 1 tokens');
  });
});
