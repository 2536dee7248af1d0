// Whether the PyTorch tests run: Debian's /usr/bin/python3 with torch. CI installs python3-torch (.ci/run) and
// sets ATTN_REQUIRE_TORCH=1, so there a missing torch fails the tests; elsewhere they are skipped with a message.
import { spawnSync } from 'node:child_process';

export const PYTHON = '/usr/bin/python3';

const required = process.env.ATTN_REQUIRE_TORCH === '1' || process.env.CI !== undefined;
const available = spawnSync(PYTHON, ['-c', 'import torch'], { stdio: 'ignore' }).status === 0;

/** Whether a test file needing torch is skipped; warns, naming the file, when it is. */
export function skipWithoutTorch(file: string): boolean {
  if (available || required) return false;
  console.warn(
    `${file}: skipped: ${PYTHON} cannot import torch (apt-get install -y python3-torch); CI installs it and runs this`,
  );
  return true;
}
