// Ctrl-C during attn train: the step under way finishes, a checkpoint is written, and the command exits 130;
// running it again resumes from that checkpoint.
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { attn, tempDir } from './run-cli.js';

const tmp = tempDir('interrupt');
afterAll(tmp.cleanup);
const bin = fileURLToPath(new URL('../../bin/attn.js', import.meta.url));

describe('attn train and SIGINT', () => {
  it('checkpoints, exits 130, and resumes', async () => {
    const out = join(tmp.dir, 'run');
    const child = spawn(process.execPath, [
      bin,
      'train',
      '--builtin',
      'reversal',
      '--count',
      '200',
      '--embedding-dim',
      '8',
      '--hidden-size',
      '8',
      '--batch-size',
      '8',
      '--time-budget',
      '600',
      '--log-every',
      '1',
      '--out',
      out,
    ]);
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
    const code = await new Promise<number | null>((resolve) => {
      child.stderr.setEncoding('utf8').on('data', (d: string) => {
        // Interrupt once training is under way (the first progress line).
        if (stderr === '' && /step \d+/.test(d)) child.kill('SIGINT');
        stderr += d;
      });
      child.on('close', resolve);
    });
    expect(code).toBe(130);
    expect(stdout).toMatch(/^gru-bahdanau: interrupted \(SIGINT\) at step (\d+)/);
    const step = Number(/at step (\d+)/.exec(stdout)![1]);
    expect(existsSync(join(out, `step-${String(step).padStart(8, '0')}`, 'model.safetensors'))).toBe(true);
    const resumed = await attn(['train', '--out', out, '--max-steps', String(step + 2), '--quiet']);
    expect(resumed.code).toBe(0);
    expect(resumed.stderr).toContain(`resuming the run in ${out} at step ${step}`);
    expect(resumed.stdout).toMatch(new RegExp(`completed at step ${step + 2}`));
  });
});
