// The core entry point (src/index.ts) and attn/browser (src/browser/index.ts) must run in a browser: nothing it imports, directly or not, may import a
// Node built-in. Node-only code lives behind src/node.ts and the CLI.
import { readFileSync } from 'node:fs';
import { builtinModules } from 'node:module';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const srcDir = fileURLToPath(new URL('../../src/', import.meta.url));
const builtins = new Set(builtinModules);

function importsOf(file: string): string[] {
  const text = readFileSync(file, 'utf8');
  const specifiers: string[] = [];
  const pattern =
    /(?:^|\n)\s*(?:import|export)\s[^'"]*?from\s+['"]([^'"]+)['"]|import\(\s*['"]([^'"]+)['"]\s*\)/g;
  for (const match of text.matchAll(pattern)) specifiers.push((match[1] ?? match[2])!);
  return specifiers;
}

function reachable(entry: string): Map<string, string[]> {
  const seen = new Map<string, string[]>();
  const stack = [entry];
  while (stack.length > 0) {
    const file = stack.pop()!;
    if (seen.has(file)) continue;
    const specs = importsOf(file);
    seen.set(file, specs);
    for (const s of specs)
      if (s.startsWith('.')) stack.push(resolve(dirname(file), s.replace(/\.js$/, '.ts')));
  }
  return seen;
}

describe('browser-safe core', () => {
  // src/browser/index.ts is attn/browser: the core and the wasm backend's loader for pages.
  it.each(['index.ts', 'browser/index.ts'])('src/%s reaches no Node built-in module', (entry) => {
    const graph = reachable(resolve(srcDir, entry));
    expect(graph.size).toBeGreaterThan(20);
    const offenders: string[] = [];
    for (const [file, specs] of graph) {
      for (const s of specs) {
        if (s.startsWith('node:') || builtins.has(s))
          offenders.push(`${file.slice(srcDir.length)} imports ${s}`);
      }
    }
    expect(offenders).toEqual([]);
  });
});
