import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PNG } from 'pngjs';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { hexToRgb } from '../../src/viz/color-scale.js';
import { heatmapSvg } from '../../src/viz/heatmap-svg.js';
import {
  attentionGridPng,
  curvesPng,
  heatmapPng,
  highlightTokensPng,
} from '../../src/viz/node/pictures-png.js';
import { svgToPng } from '../../src/viz/node/png.js';
import { writeAttentionGrid, writeCurves, writeHeatmap } from '../../src/viz/node/write-picture.js';
import { inGroup, parseXml } from './xml.js';

const source = ['the', 'cat', 'sat', '<eos>'];
const target = ['le', 'chat', '<eos>'];
const weights = [
  [0.7, 0.1, 0.1, 0.1],
  [0.05, 0.85, 0.05, 0.05],
  [0.0, 0.1, 0.2, 0.7],
];
const SIGNATURE = [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a];

function decode(bytes: Uint8Array): PNG {
  expect([...bytes.subarray(0, 8)]).toEqual(SIGNATURE);
  return PNG.sync.read(Buffer.from(bytes));
}

function pixel(png: PNG, x: number, y: number): [number, number, number, number] {
  const i = (Math.floor(y) * png.width + Math.floor(x)) * 4;
  return [png.data[i]!, png.data[i + 1]!, png.data[i + 2]!, png.data[i + 3]!];
}

/** Whether any pixel in the box is dark (drawn text), the box in PNG pixels. */
function hasInk(png: PNG, x0: number, y0: number, x1: number, y1: number): boolean {
  for (let y = Math.floor(y0); y < y1; y++)
    for (let x = Math.floor(x0); x < x1; x++)
      if (
        pixel(png, x, y)
          .slice(0, 3)
          .every((c) => c < 100)
      )
        return true;
  return false;
}

describe('heatmapPng', () => {
  const options = { sourceTokens: source, targetTokens: target, title: 'Attention' };

  it('is a PNG of the SVG picture at twice its size by default', () => {
    const root = parseXml(heatmapSvg(weights, options));
    const png = decode(heatmapPng(weights, options));
    expect(png.width).toBe(2 * Number(root.attributes.width));
    expect(png.height).toBe(2 * Number(root.attributes.height));
    const once = decode(heatmapPng(weights, { ...options, scale: 1 }));
    expect(once.width).toBe(Number(root.attributes.width));
  });

  it('fills each cell with its colour from the scale', () => {
    const scale = 2;
    const cells = inGroup(parseXml(heatmapSvg(weights, options)), 'cells', 'rect');
    const png = decode(heatmapPng(weights, { ...options, scale }));
    expect(cells).toHaveLength(12);
    for (const cell of cells) {
      const { x, y, width, fill } = cell.attributes as Record<string, string>;
      const cx = (Number(x) + Number(width) / 2) * scale;
      const cy = (Number(y) + Number(width) / 2) * scale;
      const [r, g, b, a] = pixel(png, cx, cy);
      const [er, eg, eb] = hexToRgb(fill!);
      expect(a).toBe(255);
      expect(
        Math.abs(r - er) + Math.abs(g - eg) + Math.abs(b - eb),
        `cell ${cell.attributes['data-weight']}`,
      ).toBeLessThanOrEqual(3);
    }
  });

  it('draws the token labels as text (the bundled font loads)', () => {
    const root = parseXml(heatmapSvg(weights, options));
    const firstCell = inGroup(root, 'cells', 'rect')[0]!.attributes;
    const [gx, gy] = [Number(firstCell.x), Number(firstCell.y)];
    const png = decode(heatmapPng(weights, options));
    // Row label 'le' sits left of the first row; the title above everything.
    expect(hasInk(png, (gx - 30) * 2, gy * 2, gx * 2, (gy + 28) * 2)).toBe(true);
    expect(hasInk(png, 12 * 2, 12 * 2, 80 * 2, 30 * 2)).toBe(true);
    // Where there is no text the background is white.
    expect(pixel(png, 2, 2)).toEqual([255, 255, 255, 255]);
  });

  it('renders the same bytes every time', () => {
    expect(heatmapPng(weights, options)).toEqual(heatmapPng(weights, options));
  });
});

describe('other pictures as PNG', () => {
  it('renders grids, curves and highlights', () => {
    const grid = decode(
      attentionGridPng([[weights, weights]], { sourceTokens: source, targetTokens: target }),
    );
    expect(grid.width).toBeGreaterThan(100);
    const curves = decode(
      curvesPng(
        [
          {
            name: 'loss',
            points: [
              [0, 3],
              [10, 2],
              [20, 1.5],
            ],
          },
        ],
        { width: 320, height: 200, scale: 1 },
      ),
    );
    expect([curves.width, curves.height]).toEqual([320, 200]);
    // The first palette colour (#4e79a7) draws the line somewhere.
    let found = false;
    for (let i = 0; i < curves.data.length && !found; i += 4)
      found = curves.data[i] === 0x4e && curves.data[i + 1] === 0x79 && curves.data[i + 2] === 0xa7;
    expect(found).toBe(true);
    expect(decode(highlightTokensPng(['a', 'b'], [0.2, 0.8])).height).toBeGreaterThan(40);
  });

  it('rejects bad options and input', () => {
    expect(() => svgToPng('<svg', { scale: 1 })).toThrow(/^svgToPng: resvg could not render the SVG/);
    expect(() =>
      svgToPng('<svg xmlns="http://www.w3.org/2000/svg" width="4" height="4"/>', { scale: 0 }),
    ).toThrow(/svgToPng: scale must be a number/);
  });
});

describe('writeHeatmap and friends', () => {
  let dir: string;
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'attn-viz-'));
  });
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('choose SVG or PNG by the extension and leave no temporary files', async () => {
    await writeHeatmap(join(dir, 'a.svg'), weights, { sourceTokens: source, targetTokens: target });
    await writeHeatmap(join(dir, 'a.PNG'), weights, { scale: 1 });
    await writeAttentionGrid(join(dir, 'grid.png'), [[weights]]);
    await writeCurves(join(dir, 'curves.svg'), [{ name: 'loss', points: [[0, 1]] }]);
    expect((await readdir(dir)).sort()).toEqual(['a.PNG', 'a.svg', 'curves.svg', 'grid.png']);
    expect(await readFile(join(dir, 'a.svg'), 'utf8')).toBe(
      heatmapSvg(weights, { sourceTokens: source, targetTokens: target }),
    );
    decode(new Uint8Array(await readFile(join(dir, 'a.PNG'))));
    decode(new Uint8Array(await readFile(join(dir, 'grid.png'))));
  });

  it('refuse other extensions before writing anything', async () => {
    await expect(writeHeatmap(join(dir, 'a.jpg'), weights)).rejects.toThrow(
      /writeHeatmap: cannot tell the picture format of .*a\.jpg.*: use a \.svg or \.png file name/,
    );
    expect(await readdir(dir)).toEqual([]);
  });
});
