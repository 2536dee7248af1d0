import { describe, expect, it } from 'vitest';
import { run } from '../../examples/quickstart.js';

describe('examples/quickstart', () => {
  it('runs and its loss falls', () => {
    const lines: string[] = [];
    const { firstLoss, lastLoss } = run((line) => lines.push(line));
    expect(lastLoss).toBeLessThan(firstLoss / 4);
    expect(lines.join('\n')).toContain('weights [1,2,4,6]');
  });
});
