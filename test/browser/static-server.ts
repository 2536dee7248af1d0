// A tiny static HTTP server for the Chromium tests: files under the repository root (dist/browser, examples),
// the PyTorch golden cases under /fixtures/, and in-memory files (the bundled page harness). GET only, a folder's
// index.html for its path ending in /, no directory listings, nothing outside its folders; listens on 127.0.0.1 on a free port.
import { readFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import { extname, join, normalize, sep } from 'node:path';

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.wasm': 'application/wasm',
  '.json': 'application/json',
  '.safetensors': 'application/octet-stream',
};

export interface StaticServer {
  url: string;
  /** Paths requested so far, in order. */
  requests: string[];
  close(): Promise<void>;
}

/**
 * Serves `memory` (URL path → contents) first, then `/prefix/rest` from `folders[prefix]`, then the rest from
 * `folders['']`; with `isolated`, with the headers that make the page cross-origin isolated.
 */
export async function startStaticServer(
  folders: Record<string, string>,
  memory: Record<string, string> = {},
  options: { isolated?: boolean } = {},
): Promise<StaticServer> {
  // Cross-origin isolation (SharedArrayBuffer, so threaded wasm): the page opts in, and every resource is
  // same-origin here.
  const isolation: Record<string, string> = options.isolated
    ? { 'cross-origin-opener-policy': 'same-origin', 'cross-origin-embedder-policy': 'require-corp' }
    : {};
  const requests: string[] = [];
  const server: Server = createServer((request, response) => {
    const asked = decodeURIComponent(new URL(request.url ?? '/', 'http://127.0.0.1').pathname);
    requests.push(asked);
    const path = asked.endsWith('/') && !(asked in memory) ? `${asked}index.html` : asked;
    const send = (status: number, body: string | Buffer, type = 'text/plain; charset=utf-8') => {
      response.writeHead(status, { 'content-type': type, 'cache-control': 'no-store', ...isolation });
      response.end(body);
    };
    if (request.method !== 'GET') return send(405, 'GET only');
    if (path in memory) return send(200, memory[path]!, TYPES[extname(path)] ?? TYPES['.html']);
    const [, first = '', ...rest] = path.split('/');
    const [folder, relative] =
      first in folders && first !== '' ? [folders[first]!, rest.join('/')] : [folders['']!, path.slice(1)];
    const file = normalize(join(folder, relative));
    if (!file.startsWith(normalize(folder + sep)) || relative === '') return send(404, 'not found');
    readFile(file).then(
      (bytes) => send(200, bytes, TYPES[extname(file)] ?? 'application/octet-stream'),
      () => send(404, 'not found'),
    );
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  if (address === null || typeof address === 'string') throw new Error('static server: no port');
  return {
    url: `http://127.0.0.1:${address.port}`,
    requests,
    // A browser keeps its connections open: close them too, or close() waits for them.
    close: () =>
      new Promise((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
