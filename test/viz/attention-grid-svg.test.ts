import { describe, expect, it } from 'vitest';
import { tensor } from '../../src/tensor/index.js';
import { attentionGridSvg } from '../../src/viz/attention-grid-svg.js';
import { findAll, inGroup, parseXml, type XmlElement } from './xml.js';

const tokens = ['a', 'b', 'c'];
/** layers × heads matrices whose (0, 0) weight encodes its layer and head. */
const layers = [0, 1].map((l) =>
  [0, 1, 2].map((h) => [
    [0.1 * (l * 3 + h), 0.5, 0.4],
    [0.2, 0.3, 0.5],
    [0.3, 0.3, 0.4],
  ]),
);

function panels(root: XmlElement) {
  return findAll(root, 'g').filter((g) => g.attributes.class === 'panel');
}

describe('attentionGridSvg', () => {
  it('lays out one captioned panel per layer and head', () => {
    const root = parseXml(
      attentionGridSvg(layers, { sourceTokens: tokens, targetTokens: tokens, title: 'Self' }),
    );
    const all = panels(root);
    expect(all.map((p) => `${p.attributes['data-layer']}/${p.attributes['data-head']}`)).toEqual([
      '0/0',
      '0/1',
      '0/2',
      '1/0',
      '1/1',
      '1/2',
    ]);
    const captions = all.map((p) => p.children.find((c) => c.name === 'text')!.text);
    expect(captions[4]).toBe('layer 1 · head 1');
    expect(inGroup(all[5]!, 'cells', 'rect')[0]!.attributes['data-weight']).toBe(String(0.1 * 5));
    // Panels in one row share a top edge, panels in one column share a left edge.
    const corner = (p: XmlElement) => inGroup(p, 'cells', 'rect')[0]!.attributes;
    expect(corner(all[0]!).y).toBe(corner(all[2]!).y);
    expect(corner(all[1]!).x).toBe(corner(all[4]!).x);
    expect(Number(corner(all[3]!).y)).toBeGreaterThan(Number(corner(all[0]!).y));
    expect(findAll(root, 'linearGradient')).toHaveLength(1);
  });

  it('labels tokens on the edges only by default, everywhere or nowhere on request', () => {
    const count = (mode?: 'edges' | 'all' | 'none') => {
      const root = parseXml(
        attentionGridSvg(layers, { sourceTokens: tokens, targetTokens: tokens, tokenLabels: mode }),
      );
      return [inGroup(root, 'row-labels', 'text').length, inGroup(root, 'column-labels', 'text').length];
    };
    expect(count()).toEqual([2 * 3, 3 * 3]); // rows on the 2 layers' first panels, columns on the 3 top panels
    expect(count('all')).toEqual([6 * 3, 6 * 3]);
    expect(count('none')).toEqual([0, 0]);
  });

  it('takes a Tensor [layers, heads, T, S] or one Tensor [heads, T, S] per layer, like the arrays', () => {
    const fromArrays = attentionGridSvg(layers.map((l) => l.map((m) => m.map((r) => r.map(Math.fround)))));
    expect(attentionGridSvg(tensor(layers))).toBe(fromArrays);
    expect(attentionGridSvg(layers.map((l) => tensor([l])))).toBe(fromArrays);
  });

  it('rejects panels of different shapes and token lists of the wrong length', () => {
    expect(() => attentionGridSvg([[[[1, 2]], [[1, 2, 3]]]])).toThrow(
      /attentionGridSvg: every panel must have the same shape: .* layer 0 head 1 is \[1,3\]/,
    );
    expect(() => attentionGridSvg(layers, { sourceTokens: ['a'] })).toThrow(/sourceTokens has 1 tokens/);
    expect(() => attentionGridSvg(tensor([[1, 2]]))).toThrow(/Tensor \[layers, heads, target, source\]/);
    expect(() => attentionGridSvg([])).toThrow(/no layer or head/);
  });
});
