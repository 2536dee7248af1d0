/**
 * Where the web page's files are. `npm run build` bundles the page into `dist/serve/public/` (scripts/build-page.mjs);
 * both this file's built copy (dist/serve/) and its source (src/serve/, run by the tests) sit two folders below
 * the package root, so the same relative path finds the page from either.
 */
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

export const PAGE_FILES = ['index.html', 'app.js', 'style.css', 'page.json'] as const;

export function pageDirectory(): string {
  return fileURLToPath(new URL('../../dist/serve/public/', import.meta.url));
}

/** The page directory, or an error saying how to build it when a file is missing. */
export function checkPageDirectory(directory = pageDirectory()): string {
  const missing = PAGE_FILES.filter((name) => !existsSync(`${directory}/${name}`));
  if (missing.length > 0)
    throw new Error(
      `the web page is not built (${missing.join(', ')} missing in ${directory}); run 'npm run build'`,
    );
  return directory;
}
