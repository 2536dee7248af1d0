// What the tests of the exports' documentation snippets share: the fenced code blocks of a markdown text, and
// running /usr/bin/python3 on a script or a command line, collecting its output.
import { spawn } from 'node:child_process';
import { PYTHON } from './torch-python.js';

/** The bodies of the markdown's fenced blocks of `language` (```python … ```), in order. */
export function fencedBlocks(markdown: string, language: string): string[] {
  return [...markdown.matchAll(/^```([\w-]*)\n([\s\S]*?)^```$/gm)]
    .filter((m) => m[1] === language)
    .map((m) => m[2]!);
}

export interface RunOptions {
  cwd: string;
  /** Fed on stdin. */
  input?: string;
  env?: Record<string, string>;
}

/** Runs `file` with `args`; resolves to its stdout, rejects with its output when it fails or runs past 60 s. */
export function runProcess(
  file: string,
  args: string[],
  { cwd, input, env = {} }: RunOptions,
): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn(file, args, {
      cwd,
      env: { ...process.env, ...env },
      stdio: ['pipe', 'pipe', 'pipe'],
      timeout: 60_000,
    });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
    child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    child.on('error', reject);
    child.on('close', (code, signal) => {
      if (code === 0) resolve(stdout);
      else
        reject(
          new Error(`${file} ${args.join(' ')} in ${cwd} failed (${signal ?? code}):\n${stdout}\n${stderr}`),
        );
    });
    child.stdin.end(input ?? '');
  });
}

/** Runs a Python script (fed on stdin) with /usr/bin/python3. */
export const runPythonScript = (script: string, options: Omit<RunOptions, 'input'>): Promise<string> =>
  runProcess(PYTHON, ['-'], { ...options, input: script });

/**
 * Runs a documented shell command line that starts with `python3` as written, in `sh`, with /usr/bin/python3 in
 * place of whichever python3 the PATH finds.
 */
export function runPythonCommand(line: string, options: Omit<RunOptions, 'input'>): Promise<string> {
  if (!line.startsWith('python3 ')) throw new Error(`not a python3 command line: ${line}`);
  return runProcess('sh', ['-c', `${PYTHON} ${line.slice('python3 '.length)}`], options);
}
