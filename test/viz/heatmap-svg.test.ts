import { describe, expect, it } from 'vitest';
import { tensor } from '../../src/tensor/index.js';
import { heatmapSvg } from '../../src/viz/heatmap-svg.js';
import { colorAt, rgbToHex } from '../../src/viz/color-scale.js';
import { findAll, inGroup, luminance, parseXml } from './xml.js';

const source = ['the', 'cat', 'sat', '<eos>'];
const target = ['le', 'chat', '<eos>'];
const weights = [
  [0.7, 0.1, 0.1, 0.1],
  [0.05, 0.85, 0.05, 0.05],
  [0.0, 0.1, 0.2, 0.7],
];

function cells(svg: string) {
  return inGroup(parseXml(svg), 'cells', 'rect').map((r) => ({
    row: Number(r.attributes['data-row']),
    col: Number(r.attributes['data-col']),
    weight: Number(r.attributes['data-weight']),
    fill: r.attributes.fill!,
    tooltip: findAll(r, 'title')[0]?.text,
  }));
}

describe('heatmapSvg', () => {
  it('is a well-formed SVG document with a cell per weight, rows as targets and columns as sources', () => {
    const svg = heatmapSvg(weights, { sourceTokens: source, targetTokens: target, title: 'Cross-attention' });
    const root = parseXml(svg);
    expect(root.name).toBe('svg');
    expect(root.attributes.xmlns).toBe('http://www.w3.org/2000/svg');
    expect(Number(root.attributes.width)).toBeGreaterThan(4 * 28);
    const all = cells(svg);
    expect(all).toHaveLength(12);
    expect(all.find((c) => c.row === 1 && c.col === 1)!.weight).toBeCloseTo(0.85);
    expect(inGroup(root, 'row-labels', 'text').map((t) => t.text)).toEqual(target);
    expect(inGroup(root, 'column-labels', 'text').map((t) => t.text)).toEqual(source);
    expect(findAll(root, 'title')[0]!.text).toBe('Cross-attention');
    const texts = findAll(root, 'text').map((t) => t.text);
    expect(texts).toContain('source');
    expect(texts).toContain('target');
  });

  it('rotates column labels', () => {
    const root = parseXml(heatmapSvg(weights, { sourceTokens: source, targetTokens: target }));
    for (const label of inGroup(root, 'column-labels', 'text'))
      expect(label.attributes.transform).toMatch(/^rotate\(-(45|90) /);
    const narrow = parseXml(heatmapSvg(weights, { cellSize: 10 }));
    expect(inGroup(narrow, 'column-labels', 'text')[0]!.attributes.transform).toMatch(/^rotate\(-90 /);
  });

  it('colours cells monotonically in the weight, with the scale from 0 to the largest weight', () => {
    const ramp = [[0, 0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8]];
    const all = cells(heatmapSvg(ramp)).sort((a, b) => a.weight - b.weight);
    const lum = all.map((c) => luminance(c.fill));
    for (let i = 1; i < lum.length; i++) expect(lum[i]!).toBeGreaterThan(lum[i - 1]!);
    expect(all[0]!.fill).toBe(rgbToHex(colorAt('viridis', 0)));
    expect(all[all.length - 1]!.fill).toBe(rgbToHex(colorAt('viridis', 1)));
    // A fixed max compares pictures: 0.8 of max 1 is not the top colour.
    const fixed = cells(heatmapSvg(ramp, { max: 1 })).find((c) => c.weight === 0.8)!;
    expect(fixed.fill).toBe(rgbToHex(colorAt('viridis', 0.8)));
    // A light-to-dark scale darkens with the weight.
    const blues = cells(heatmapSvg(ramp, { colorScale: 'blues' })).sort((a, b) => a.weight - b.weight);
    expect(luminance(blues[0]!.fill)).toBeGreaterThan(luminance(blues[8]!.fill));
  });

  it('draws a colour legend: a gradient bar with ticks from 0 to the max', () => {
    const root = parseXml(heatmapSvg(weights));
    const gradient = findAll(root, 'linearGradient');
    expect(gradient).toHaveLength(1);
    expect(findAll(gradient[0]!, 'stop').length).toBeGreaterThan(5);
    const bar = inGroup(root, 'legend', 'rect')[0]!;
    expect(bar.attributes.fill).toBe(`url(#${gradient[0]!.attributes.id})`);
    const ticks = inGroup(root, 'legend', 'text').map((t) => Number(t.text));
    expect(ticks[0]).toBe(0);
    expect(ticks[ticks.length - 1]).toBeLessThanOrEqual(0.85);
    expect(ticks[ticks.length - 1]).toBeGreaterThanOrEqual(0.6);
    expect(findAll(parseXml(heatmapSvg(weights, { legend: false })), 'linearGradient')).toHaveLength(0);
  });

  it('escapes token text for XML and replaces characters XML cannot hold', () => {
    const nasty = ['<script>', 'a&b', '"q"', "it's", 'bell\u0007', '\uD83D'];
    const svg = heatmapSvg([[1, 2, 3, 4, 5, 6]], {
      sourceTokens: nasty,
      targetTokens: ['</svg>'],
      title: '<&>',
    });
    expect(svg).not.toContain('<script>');
    expect(svg).not.toContain('\u0007');
    const root = parseXml(svg);
    expect(inGroup(root, 'column-labels', 'text').map((t) => t.text)).toEqual([
      '<script>',
      'a&b',
      '"q"',
      "it's",
      'bell\uFFFD',
      '\uFFFD',
    ]);
    expect(inGroup(root, 'row-labels', 'text')[0]!.text).toBe('</svg>');
    expect(root.attributes['aria-label']).toBe('<&>');
  });

  it('gives each cell a tooltip with its tokens and weight, unless turned off', () => {
    const all = cells(heatmapSvg(weights, { sourceTokens: source, targetTokens: target }));
    expect(all.find((c) => c.row === 2 && c.col === 3)!.tooltip).toBe('<eos> → <eos>: 0.7');
    expect(cells(heatmapSvg(weights, { tooltips: false }))[0]!.tooltip).toBeUndefined();
  });

  it('prints values in the cells on request, in a colour that reads on the cell', () => {
    const root = parseXml(heatmapSvg(weights, { showValues: true }));
    const values = inGroup(root, 'cells', 'text');
    expect(values.map((v) => v.text).slice(0, 4)).toEqual(['0.70', '0.10', '0.10', '0.10']);
    // Dark viridis (low weights) takes white text, bright viridis (the top weight, 0.85) black.
    expect(values[1]!.attributes.fill).toBe('#ffffff');
    expect(values[5]!.attributes.fill).toBe('#000000');
  });

  it('takes tensors, dropping leading axes of size 1, and labels positions by index without tokens', () => {
    const fromTensor = heatmapSvg(tensor([weights]));
    const fromArray = heatmapSvg(weights.map((r) => r.map((v) => Math.fround(v))));
    expect(fromTensor).toBe(fromArray);
    const root = parseXml(fromTensor);
    expect(inGroup(root, 'column-labels', 'text').map((t) => t.text)).toEqual(['0', '1', '2', '3']);
  });

  it('draws non-finite weights in neutral grey', () => {
    const all = cells(heatmapSvg([[NaN, 0.5]]));
    expect(all[0]!.fill).toBe('#d0d0d0');
    expect(all[0]!.tooltip).toBe('0 → 0: NaN');
  });

  it('rejects bad input with the op named', () => {
    expect(() => heatmapSvg(weights, { sourceTokens: ['a'] })).toThrow(
      'heatmapSvg: sourceTokens has 1 tokens but the weights have 4 columns',
    );
    expect(() => heatmapSvg(weights, { targetTokens: ['a'] })).toThrow(/targetTokens has 1 tokens .* 3 rows/);
    expect(() => heatmapSvg([[1, 2], [3]])).toThrow('heatmapSvg: weights row 1 has 1 values, row 0 has 2');
    expect(() =>
      heatmapSvg(
        tensor([
          [[1], [2]],
          [[3], [4]],
        ]),
      ),
    ).toThrow(/must be a matrix .* \[2,2,1\]/);
    expect(() => heatmapSvg(weights, { colorScale: 'rainbow' as 'viridis' })).toThrow(/unknown colorScale/);
    expect(() => heatmapSvg(weights, { cellSize: -1 })).toThrow(/cellSize must be a number/);
    expect(() => heatmapSvg(weights, { max: 0 })).toThrow(/max must be a positive/);
  });

  it('draws an empty matrix as an empty picture rather than failing', () => {
    expect(cells(heatmapSvg([]))).toEqual([]);
  });
});
