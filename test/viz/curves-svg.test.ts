import { describe, expect, it } from 'vitest';
import { curvesSvg } from '../../src/viz/curves-svg.js';
import { readMetricsLog } from '../../src/viz/metrics-log.js';
import { findAll, parseXml, type XmlElement } from './xml.js';

const sampleLog = [
  '{"step": 0, "loss": 4.2, "lr": 0.0001}',
  '{"step": 100, "loss": 3.1, "lr": 0.0005}',
  '{"step": 200, "loss": 2.4, "lr": 0.001}',
  '{"step": 200, "split": "valid", "loss": 2.6, "bleu": 8.5}',
  '',
  '{"step": 300, "loss": 1.9, "lr": 0.0009, "epoch": 1, "time": 12.5}',
  '{"step": 400, "split": "valid", "loss": 2.2, "bleu": 14.1, "eval": {"chrF": 30.2, "note": "x"}}',
  '',
].join('\n');

function seriesGroups(root: XmlElement) {
  return findAll(root, 'g').filter((g) => g.attributes.class === 'series');
}

describe('readMetricsLog', () => {
  it('turns each numeric field into a series against the step, evaluation splits prefixed', () => {
    const series = readMetricsLog(sampleLog);
    expect(series.map((s) => s.name)).toEqual(['loss', 'lr', 'valid/loss', 'valid/bleu', 'valid/eval/chrF']);
    expect(series[0]!.points).toEqual([
      [0, 4.2],
      [100, 3.1],
      [200, 2.4],
      [300, 1.9],
    ]);
    expect(series[3]!.points).toEqual([
      [200, 8.5],
      [400, 14.1],
    ]);
  });

  it('sorts by step, skips a cut-off last line, and names the line of any other bad record', () => {
    expect(
      readMetricsLog('{"step": 2, "loss": 1}\n{"step": 1, "loss": 2}\n{"step": 3, "lo')[0]!.points,
    ).toEqual([
      [1, 2],
      [2, 1],
    ]);
    expect(() => readMetricsLog('{"step": 1}\n{"step": 2, "lo\n{"step": 3}\n')).toThrow(
      /^readMetricsLog: line 2: not JSON/,
    );
    expect(() => readMetricsLog('{"loss": 1}\n')).toThrow('readMetricsLog: line 1: no numeric "step" field');
    expect(() => readMetricsLog('[1, 2]\n')).toThrow('readMetricsLog: line 1: expected a JSON object');
    expect(readMetricsLog('{"epoch": 1, "loss": 1}\n', { x: 'epoch' })[0]!.name).toBe('loss');
  });
});

describe('curvesSvg', () => {
  const series = readMetricsLog(sampleLog).filter((s) => s.name.endsWith('loss'));

  it('draws a line per series with axes, ticks, captions and a legend', () => {
    const root = parseXml(curvesSvg(series, { title: 'Loss', yLabel: 'cross-entropy' }));
    const groups = seriesGroups(root);
    expect(groups.map((g) => g.attributes['data-name'])).toEqual(['loss', 'valid/loss']);
    const path = findAll(groups[0]!, 'path')[0]!;
    expect(path.attributes.d!.match(/[ML]/g)!.join('')).toBe('MLLL');
    // Points are marked when few, with a tooltip.
    expect(findAll(groups[1]!, 'title').map((t) => t.text)).toEqual([
      'valid/loss: 2.6 at 200',
      'valid/loss: 2.2 at 400',
    ]);
    const texts = findAll(root, 'text').map((t) => t.text);
    for (const label of ['Loss', 'step', 'cross-entropy', 'loss', 'valid/loss', '0', '400', '2', '4'])
      expect(texts).toContain(label);
    // Loss falls: the line goes down the picture (SVG y grows downwards).
    const ys = [...path.attributes.d!.matchAll(/[ML][\d.]+ ([\d.]+)/g)].map((m) => Number(m[1]));
    expect(ys).toEqual([...ys].sort((a, b) => a - b));
  });

  it('uses powers of ten on a log axis and breaks lines at values it cannot draw', () => {
    const root = parseXml(
      curvesSvg(
        [
          {
            name: 'loss',
            points: [
              [0, 10],
              [1, 1],
              [2, NaN],
              [3, 0.1],
              [4, 0],
              [5, 0.01],
            ],
          },
        ],
        { logY: true },
      ),
    );
    const texts = findAll(root, 'text').map((t) => t.text);
    for (const tick of ['0.01', '0.1', '1', '10']) expect(texts).toContain(tick);
    const d = findAll(seriesGroups(root)[0]!, 'path')[0]!.attributes.d!;
    expect(d.match(/[ML]/g)!.join('')).toBe('MLMM');
  });

  it('draws empty axes saying there is no data, and escapes series names', () => {
    const root = parseXml(curvesSvg([{ name: '<none>', points: [] }]));
    const texts = findAll(root, 'text').map((t) => t.text);
    expect(texts).toContain('no data');
    expect(texts).toContain('<none>');
  });

  it('rejects malformed series and sizes with no room', () => {
    expect(() => curvesSvg([{ name: 'x' } as never])).toThrow(/curvesSvg: series\[0\] must be/);
    expect(() => curvesSvg(series, { width: 10 })).toThrow(/width must be a number in \[200/);
  });
});
