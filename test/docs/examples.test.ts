// Every ```ts block in docs/*.md runs as it is: the blocks import from 'attn', which is pointed at src/ here.
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { afterAll, describe, expect, it, vi } from 'vitest';

const root = fileURLToPath(new URL('../../', import.meta.url));
const docs = join(root, 'docs');
const scratch = mkdtempSync(join(root, 'test/docs/.examples-'));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

const blocks: [string, string][] = [];
for (const file of readdirSync(docs).filter((f) => f.endsWith('.md'))) {
  const text = readFileSync(join(docs, file), 'utf8');
  let n = 0;
  for (const match of text.matchAll(/```ts\n([\s\S]*?)```/g)) blocks.push([`${file} #${++n}`, match[1]!]);
}

describe('documentation examples', () => {
  it('exist', () => expect(blocks.length).toBeGreaterThan(3));
  it.each(blocks)('%s runs', async (name, code) => {
    const source = code.replace(/from 'attn'/g, `from '${pathToFileURL(join(root, 'src/index.ts')).href}'`);
    const file = join(scratch, `${name.replace(/[^a-z0-9]+/gi, '-')}.ts`);
    writeFileSync(file, source);
    const log = vi.spyOn(console, 'log').mockImplementation(() => {});
    try {
      await import(pathToFileURL(file).href);
      expect(log).toHaveBeenCalled();
    } finally {
      log.mockRestore();
    }
  });
});
