// The Dockerfile, checked without a Docker daemon (none here, and hadolint is not packaged): it is parsed into
// its instructions and held to what docs/deploy.md promises — a Debian-based Node 20 image in two stages, the
// addon built in the first, a non-root runtime, nothing fetched but from the package registries — and the
// commands it runs are run: its entry point's options through the real `attn serve`, its health check against a
// real server.
import { execFile } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createServer } from '../../src/serve/index.js';
import { tinyCheckpoints, type TinyCheckpoints } from '../serve/checkpoints.js';

const run = promisify(execFile);
const root = fileURLToPath(new URL('../../', import.meta.url));
const bin = `${root}bin/attn.js`;

interface Instruction {
  keyword: string;
  args: string;
  line: number;
}

/** Instructions in order: continuation lines joined, comments and blank lines dropped. */
function parseDockerfile(text: string): Instruction[] {
  const out: Instruction[] = [];
  let pending: { text: string; line: number } | undefined;
  text.split('\n').forEach((raw, index) => {
    const line = raw.trim();
    if (pending === undefined && (line === '' || line.startsWith('#'))) return;
    if (pending !== undefined && line.startsWith('#')) return;
    const continued = line.endsWith('\\');
    const body = continued ? line.slice(0, -1).trim() : line;
    pending =
      pending === undefined
        ? { text: body, line: index + 1 }
        : { ...pending, text: `${pending.text} ${body}` };
    if (continued) return;
    const match = /^(\w+)\s+(.*)$/s.exec(pending.text);
    if (!match) throw new Error(`Dockerfile:${pending.line}: not an instruction: ${pending.text}`);
    out.push({ keyword: match[1]!.toUpperCase(), args: match[2]!, line: pending.line });
    pending = undefined;
  });
  if (pending !== undefined) throw new Error(`Dockerfile:${pending.line}: ends inside a continued line`);
  return out;
}

interface Stage {
  from: string;
  name: string | undefined;
  instructions: Instruction[];
}

function stagesOf(instructions: Instruction[]): Stage[] {
  const stages: Stage[] = [];
  for (const instruction of instructions) {
    if (instruction.keyword === 'FROM') {
      const [image, as, name] = instruction.args.split(/\s+/);
      stages.push({ from: image!, name: as?.toUpperCase() === 'AS' ? name : undefined, instructions: [] });
    } else {
      if (stages.length === 0)
        throw new Error(`Dockerfile:${instruction.line}: ${instruction.keyword} before FROM`);
      stages.at(-1)!.instructions.push(instruction);
    }
  }
  return stages;
}

/** An exec-form argument (a JSON array of strings). */
function execForm(instruction: Instruction): string[] {
  const value: unknown = JSON.parse(instruction.args);
  if (!Array.isArray(value) || !value.every((v) => typeof v === 'string'))
    throw new Error(`Dockerfile:${instruction.line}: ${instruction.keyword} must be a JSON array of strings`);
  return value as string[];
}

const instructions = parseDockerfile(readFileSync(`${root}Dockerfile`, 'utf8'));
const stages = stagesOf(instructions);
const [buildStage, runtime] = stages as [Stage, Stage];
const only = (stage: Stage, keyword: string): Instruction[] =>
  stage.instructions.filter((i) => i.keyword === keyword);
const single = (stage: Stage, keyword: string): Instruction => {
  const found = only(stage, keyword);
  expect(found, `${keyword} in the stage from ${stage.from}`).toHaveLength(1);
  return found[0]!;
};

describe('Dockerfile', () => {
  it('parses: continued lines joined, a keyword per instruction, and a damaged file is refused', () => {
    expect(
      parseDockerfile('FROM a\nRUN x \\\n  && y\n# note\nUSER node\n').map((i) => [i.keyword, i.args]),
    ).toEqual([
      ['FROM', 'a'],
      ['RUN', 'x && y'],
      ['USER', 'node'],
    ]);
    expect(() => parseDockerfile('FROM a\nRUN x \\')).toThrow(/ends inside a continued line/);
    expect(() => stagesOf(parseDockerfile('RUN x\nFROM a\n'))).toThrow(/RUN before FROM/);
  });

  it('builds in two stages on a Debian-based Node 20 image with a pinned tag', () => {
    expect(stages).toHaveLength(2);
    for (const stage of stages) expect(stage.from).toMatch(/^node:20-(bookworm|bullseye|trixie)(-slim)?$/);
    expect(buildStage.name).toBe('build');
    for (const copy of only(runtime, 'COPY')) expect(copy.args).toMatch(/^--from=build\s/);
  });

  it('compiles the addon in the build stage and fails the build if it did not compile', () => {
    const runs = only(buildStage, 'RUN').map((r) => r.args);
    expect(runs.some((r) => /apt-get install -y --no-install-recommends .*\bg\+\+/.test(r))).toBe(true);
    expect(runs.some((r) => /rm -rf \/var\/lib\/apt\/lists\/\*/.test(r))).toBe(true);
    const install = runs.find((r) => r.includes('npm ci'));
    expect(install).toMatch(/npm ci .*&& test -f build\/Release\/attn\.node .*&& npm prune --omit=dev/);
    expect(only(runtime, 'RUN')).toEqual([]);
    expect(runtime.instructions.some((i) => i.args.includes('g++'))).toBe(false);
  });

  it('fetches nothing but from the package registries (no ADD, curl or wget)', () => {
    expect(instructions.filter((i) => i.keyword === 'ADD')).toEqual([]);
    for (const r of instructions.filter((i) => i.keyword === 'RUN'))
      expect(r.args).not.toMatch(/\b(curl|wget)\b/);
  });

  it('copies into the build stage only files the repository has and .dockerignore does not drop', () => {
    const ignored = readFileSync(`${root}.dockerignore`, 'utf8')
      .split('\n')
      .map((l) => l.trim())
      .filter((l) => l !== '' && !l.startsWith('#'));
    for (const copy of only(buildStage, 'COPY')) {
      const sources = copy.args.split(/\s+/).slice(0, -1);
      for (const source of sources) {
        expect(existsSync(`${root}${source}`), `COPY ${source}`).toBe(true);
        expect(ignored.some((pattern) => source === pattern || source.startsWith(`${pattern}/`))).toBe(false);
      }
    }
    // What the build must not see: this machine's builds and dependencies.
    for (const pattern of ['node_modules', 'build', 'dist', 'native/generated'])
      expect(ignored).toContain(pattern);
  });

  it('runs as an unprivileged user, before its entry point', () => {
    const user = single(runtime, 'USER');
    expect(user.args).not.toMatch(/^(root|0)(:|$)/);
    expect(runtime.instructions.indexOf(user)).toBeLessThan(
      runtime.instructions.indexOf(single(runtime, 'ENTRYPOINT')),
    );
  });

  it('serves on the exposed port, on every interface, and its options are ones attn serve takes', async () => {
    const port = single(runtime, 'EXPOSE').args;
    const entry = execForm(single(runtime, 'ENTRYPOINT'));
    const cmd = execForm(single(runtime, 'CMD'));
    expect(entry.slice(0, 3)).toEqual(['node', 'bin/attn.js', 'serve']);
    expect(entry.join(' ')).toContain(`--host 0.0.0.0 --port ${port}`);
    expect(cmd).toEqual(['--checkpoint', '/model']);
    // The real command parses the options (a usage error exits 2) and gets as far as loading the model.
    const args = [...entry.slice(2), '--checkpoint', '/nonexistent/attn-model', '--port', '0'];
    const failure = await run(process.execPath, [bin, ...args]).then(
      () => undefined,
      (e: { code: number; stderr: string }) => e,
    );
    expect(failure?.code).toBe(1);
    expect(failure?.stderr).toContain('cannot serve /nonexistent/attn-model');
  });

  describe('its health check', () => {
    let checkpoints: TinyCheckpoints;
    beforeAll(async () => {
      checkpoints = await tinyCheckpoints();
    });
    afterAll(async () => {
      await checkpoints?.remove();
    });

    it('passes against a serving attn and fails once it has stopped', async () => {
      const check = single(runtime, 'HEALTHCHECK');
      const port = single(runtime, 'EXPOSE').args;
      const command = execForm({ ...check, args: check.args.replace(/^.*?\bCMD\s+/, '') });
      expect(command.slice(0, 2)).toEqual(['node', '-e']);
      expect(command[2]).toContain(`http://127.0.0.1:${port}/healthz`);
      const server = await createServer({ checkpoint: checkpoints.classify, page: false });
      const url = await server.listen(0);
      const probe = command[2]!.replace(`http://127.0.0.1:${port}`, url);
      try {
        await expect(run(process.execPath, ['-e', probe])).resolves.toBeDefined();
      } finally {
        await server.close();
      }
      await expect(run(process.execPath, ['-e', probe])).rejects.toMatchObject({ code: 1 });
    });
  });
});
