/**
 * Loads the PyTorch golden cases of ../shared/fixtures/torch (or $ATTN_TORCH_FIXTURES): one safetensors file per
 * case with tensors named input.*, param.*, output.*, grad.input.*, grad.param.*, and the case description as
 * JSON in __metadata__.case. A missing fixture directory fails the suite loudly: parity is the contract.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Tensor } from '../../src/index.js';
import { readSafetensorsFile } from '../../src/node.js';

export const FIXTURE_DIR =
  process.env.ATTN_TORCH_FIXTURES ??
  fileURLToPath(new URL('../../../shared/fixtures/torch/', import.meta.url));

/**
 * attn's own PyTorch cases, for what the shared fixtures do not cover: committed safetensors in the same format,
 * each written by a generator in scripts/golden/ (run with Debian's /usr/bin/python3 and torch) kept beside it.
 */
export const OWN_FIXTURE_DIR = fileURLToPath(new URL('./own/', import.meta.url));

export interface GoldenCase {
  name: string;
  op: string;
  config: Record<string, unknown>;
  /** Tensor by full name, e.g. `input.q`, `grad.param.weight`. */
  get(name: string): Tensor;
  has(name: string): boolean;
  /** Names under a prefix without it, e.g. names('param.') → ['weight', 'bias']. */
  names(prefix: string): string[];
}

/** Loads a case from the shared fixtures, or from `dir` (e.g. OWN_FIXTURE_DIR). */
export async function loadCase(name: string, dir: string = FIXTURE_DIR): Promise<GoldenCase> {
  const path = join(dir, `${name}.safetensors`);
  if (!existsSync(path)) {
    throw new Error(
      `golden case ${name} not found at ${path}: put shared/ beside the repository or set ATTN_TORCH_FIXTURES`,
    );
  }
  const { tensors, metadata } = await readSafetensorsFile(path);
  const meta = JSON.parse(metadata.case ?? '{}') as { op?: string; config?: Record<string, unknown> };
  return {
    name,
    op: meta.op ?? '',
    config: meta.config ?? {},
    get(key) {
      const t = tensors.get(key);
      if (!t)
        throw new Error(`golden case ${name} has no tensor ${key}; it has ${[...tensors.keys()].join(', ')}`);
      return t;
    },
    has: (key) => tensors.has(key),
    names: (prefix) =>
      [...tensors.keys()].filter((k) => k.startsWith(prefix)).map((k) => k.slice(prefix.length)),
  };
}
