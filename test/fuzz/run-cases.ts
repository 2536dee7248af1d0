// Runs fuzz cases in a child process under a memory limit (see load-child.mjs) and checks each outcome: a
// correct load, or an AttnError that names the file and stays short — never a crash, a hang, an out-of-memory
// abort or another kind of error.
import { spawn } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const child = fileURLToPath(new URL('./load-child.mjs', import.meta.url));

/** Virtual memory the child may map, in KiB (ulimit -v): room for Node and the tiny models, not for a crafted size. */
export const CHILD_MEMORY_KIB = 3_000_000;

/** The longest error message accepted: enough to name the file and the problem, never a listing of a million. */
export const MAX_MESSAGE_LENGTH = 2_000;

export interface FuzzCase {
  id: string;
  kind: 'safetensors' | 'predictor' | 'pairs' | 'classification';
  path: string;
  /** Text the message of a refusal must contain (the file or directory at fault). */
  mustName: string;
  options?: Record<string, unknown>;
  input?: string;
  /** What the load must give: `ok` (it loads), `error` (refused), or either. */
  expect?: 'ok' | 'error' | 'either';
  /** Text the refusal's message must contain, beyond the name. */
  mustSay?: string;
}

export interface CaseOutcome {
  id: string;
  ok?: boolean;
  hang?: boolean;
  attn?: boolean;
  name?: string;
  length?: number;
  message?: string;
  result?: string;
}

/** Runs `cases` in one child; returns the outcomes by id and the problems found (empty when all held). */
export async function runCases(
  cases: readonly FuzzCase[],
  workDir: string,
): Promise<{ outcomes: Map<string, CaseOutcome>; problems: string[] }> {
  const casesFile = join(workDir, 'cases.json');
  writeFileSync(casesFile, JSON.stringify(cases));
  const { code, signal, stdout, stderr } = await new Promise<{
    code: number | null;
    signal: NodeJS.Signals | null;
    stdout: string;
    stderr: string;
  }>((resolve, reject) => {
    const proc = spawn(
      'bash',
      ['-c', `ulimit -v ${CHILD_MEMORY_KIB} && exec "$0" "$1" "$2"`, process.execPath, child, casesFile],
      { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, NODE_OPTIONS: '' } },
    );
    let out = '';
    let err = '';
    proc.stdout.setEncoding('utf8').on('data', (d: string) => (out += d));
    proc.stderr.setEncoding('utf8').on('data', (d: string) => (err += d));
    proc.on('error', reject);
    proc.on('close', (c, s) => resolve({ code: c, signal: s, stdout: out, stderr: err }));
  });
  const outcomes = new Map<string, CaseOutcome>();
  for (const line of stdout.split('\n')) {
    if (line.trim() === '') continue;
    const outcome = JSON.parse(line) as CaseOutcome;
    outcomes.set(outcome.id, outcome);
  }
  const problems: string[] = [];
  for (const c of cases) {
    const o = outcomes.get(c.id);
    if (o === undefined) {
      problems.push(
        `${c.id}: no outcome — the child died (exit ${code}, signal ${signal}): ${stderr.slice(-1500)}`,
      );
      break;
    }
    if (o.hang) {
      problems.push(`${c.id}: hung`);
      break;
    }
    const expect = c.expect ?? 'either';
    if (o.ok) {
      if (expect === 'error') problems.push(`${c.id}: loaded, but must be refused (${o.result})`);
      continue;
    }
    if (expect === 'ok') problems.push(`${c.id}: must load, got ${o.name}: ${o.message}`);
    else if (!o.attn) problems.push(`${c.id}: ${o.name} instead of an AttnError: ${o.message}`);
    else if ((o.length ?? 0) > MAX_MESSAGE_LENGTH) {
      problems.push(`${c.id}: message of ${o.length} characters: ${o.message?.slice(0, 200)}`);
    } else if (!o.message?.includes(c.mustName)) {
      problems.push(`${c.id}: message does not name ${c.mustName}: ${o.message}`);
    } else if (c.mustSay !== undefined && !o.message.includes(c.mustSay)) {
      problems.push(`${c.id}: message does not say "${c.mustSay}": ${o.message}`);
    }
  }
  // FUZZ_VERBOSE=1 prints every outcome, to read what the refusals say.
  if (process.env.FUZZ_VERBOSE) {
    for (const o of outcomes.values()) console.log(o.id, o.ok ? `ok ${o.result}` : `${o.name}: ${o.message}`);
  }
  if (code !== 0 && problems.length === 0) problems.push(`child exited ${code} (${signal}): ${stderr}`);
  return { outcomes, problems };
}
