import { describe, expect, it } from 'vitest';
import { tensor } from '../../src/tensor/index.js';
import { highlightTokensHtml } from '../../src/viz/highlight-html.js';
import { highlightTokensSvg } from '../../src/viz/highlight-svg.js';
import { highlightTokensText } from '../../src/viz/highlight-text.js';
import { findAll, inGroup, luminance, parseXml } from './xml.js';

const tokens = ['a', 'truly', '<great>', 'film'];
const weights = [0.05, 0.2, 0.7, 0.05];

describe('highlightTokensSvg', () => {
  it('puts each token on a background that darkens with its weight, with a legend', () => {
    const root = parseXml(highlightTokensSvg(tokens, weights, { title: 'positive' }));
    const boxes = inGroup(root, 'tokens', 'rect');
    expect(inGroup(root, 'tokens', 'text').map((t) => t.text)).toEqual(tokens);
    const lum = boxes.map((b) => luminance(b.attributes.fill!));
    expect(lum[2]!).toBeLessThan(lum[1]!);
    expect(lum[1]!).toBeLessThan(lum[0]!);
    expect(lum[0]).toBe(lum[3]);
    expect(findAll(boxes[2]!, 'title')[0]!.text).toBe('<great>: 0.7');
    expect(findAll(root, 'linearGradient')).toHaveLength(1);
  });

  it('wraps tokens into lines within the width', () => {
    const many = Array.from({ length: 40 }, (_, i) => `token${i}`);
    const root = parseXml(
      highlightTokensSvg(
        many,
        many.map(() => 1),
        { width: 300, legend: false },
      ),
    );
    const boxes = inGroup(root, 'tokens', 'rect');
    const ys = new Set(boxes.map((b) => b.attributes.y));
    expect(ys.size).toBeGreaterThan(5);
    for (const b of boxes)
      expect(Number(b.attributes.x) + Number(b.attributes.width)).toBeLessThanOrEqual(12 + 300);
  });

  it('takes a Tensor and checks the lengths agree', () => {
    expect(highlightTokensSvg(tokens, tensor([weights]))).toBe(
      highlightTokensSvg(tokens, weights.map(Math.fround)),
    );
    expect(() => highlightTokensSvg(tokens, [1, 2])).toThrow(
      'highlightTokensSvg: tokens has 4 entries but weights has 2',
    );
  });
});

describe('highlightTokensHtml', () => {
  it('is a div of escaped spans with inline colours and weights', () => {
    const html = highlightTokensHtml(tokens, weights);
    expect(html).not.toContain('<great>');
    const root = parseXml(html);
    expect(root.name).toBe('div');
    const spans = findAll(root, 'span');
    expect(spans.map((s) => s.text)).toEqual(tokens);
    expect(spans.map((s) => Number(s.attributes['data-weight']))).toEqual(weights);
    expect(spans[2]!.attributes.style).toMatch(/^background-color:#[0-9a-f]{6};color:#ffffff;/);
    expect(spans[0]!.attributes.style).toMatch(/color:#000000/);
    expect(spans[1]!.attributes.title).toBe('truly: 0.2');
  });

  it('joins with the separator', () => {
    expect(highlightTokensHtml(['un', 'believ', 'able'], [1, 1, 1], { separator: '' })).toContain(
      '</span><span',
    );
  });
});

describe('highlightTokensText', () => {
  it('underlines tokens with shade bars as wide as each token', () => {
    expect(highlightTokensText(tokens, weights).split('\n')).toEqual([
      'a truly <great> film',
      '  ░░░░░ ███████     ',
    ]);
  });

  it('wraps at the width and colours with ANSI backgrounds on request', () => {
    const lines = highlightTokensText(tokens, weights, { width: 10 }).split('\n');
    expect(lines).toEqual(['a truly', '  ░░░░░', '<great>', '███████', 'film', '    ']);
    const colored = highlightTokensText(tokens, weights, { color: true });
    expect(colored.split('\n')).toHaveLength(1);
    // eslint-disable-next-line no-control-regex
    expect(colored.match(/\x1b\[48;5;\d+m/g)).toHaveLength(4);
  });
});
