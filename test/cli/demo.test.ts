// attn demo in its quick mode: it trains, prints translations and a text heatmap, writes the checkpoint and a
// PNG into the directory it names, and ends with the held-out exact match.
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { loadPredictor } from '../../src/node.js';
import { attn, tempDir } from './run-cli.js';

const tmp = tempDir('demo');
afterAll(tmp.cleanup);

describe('attn demo --quick', () => {
  it('trains, draws and reports the held-out exact match, in a directory it names', async () => {
    const r = await attn(['demo', '--quick', '--quiet'], { cwd: tmp.dir });
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const lines = r.stdout.trimEnd().split('\n');
    expect(lines[0]).toBe(
      'attn demo: dates → ISO dates with a GRU encoder + Bahdanau attention decoder, in attn-demo/',
    );
    expect(lines[lines.length - 1]).toMatch(
      /^held-out exact match: \d+\.\d\d% \(\d+\/100 dates not seen in training\)$/,
    );
    expect(r.stdout).toMatch(/^ {2}\S.* {2}→ {2}\S+ {2}[✓✗]/m);
    expect(r.stdout).toContain('picture:    attn-demo/attention.png');
    // The picture is a PNG; the checkpoint loads as the demo's model.
    const png = readFileSync(join(tmp.dir, 'attn-demo', 'attention.png'));
    expect([...png.subarray(1, 4)].map((c) => String.fromCharCode(c)).join('')).toBe('PNG');
    const predictor = await loadPredictor(join(tmp.dir, 'attn-demo'));
    expect(predictor.info.architecture).toBe('gru-bahdanau');
    expect(predictor.translate('3 May 1998').sourceTokens.join('')).toBe('3 May 1998<eos>');

    // A second demo leaves the first where it is and takes a new directory.
    const again = await attn(['demo', '--quick', '--quiet'], { cwd: tmp.dir });
    expect(again.code).toBe(0);
    expect(again.stdout).toContain('in attn-demo-2/');
    expect(existsSync(join(tmp.dir, 'attn-demo', 'latest.json'))).toBe(true);
    const taken = await attn(['demo', '--quick', '--out', 'attn-demo'], { cwd: tmp.dir });
    expect(taken.code).toBe(2);
    expect(taken.stderr).toContain('--out attn-demo already holds a run');
  });
});
