// Whether the tests that need Debian's /usr/bin/python3 run: the PyTorch tests need torch, the Python snippet
// tests numpy (which python3-torch brings). CI installs python3-torch (.ci/run) and sets ATTN_REQUIRE_TORCH=1, so
// there a missing module fails the tests; elsewhere they are skipped with a message.
import { spawnSync } from 'node:child_process';

export const PYTHON = '/usr/bin/python3';

const required = process.env.ATTN_REQUIRE_TORCH === '1' || process.env.CI !== undefined;
const available = new Map<string, boolean>();

/** Whether a test file needing `module` in /usr/bin/python3 is skipped; warns, naming the file, when it is. */
export function skipWithoutPython(file: string, module: 'torch' | 'numpy'): boolean {
  if (!available.has(module))
    available.set(module, spawnSync(PYTHON, ['-c', `import ${module}`], { stdio: 'ignore' }).status === 0);
  if (available.get(module) || required) return false;
  console.warn(
    `${file}: skipped: ${PYTHON} cannot import ${module} (apt-get install -y python3-torch); CI installs it and runs this`,
  );
  return true;
}

/** Whether a test file needing torch is skipped; warns, naming the file, when it is. */
export const skipWithoutTorch = (file: string): boolean => skipWithoutPython(file, 'torch');
