/* global process, console */
// `npm install` runs this: it builds the native addon (build/Release/attn.node) with node-gyp. A failed build
// must not fail the install: attn then runs on its JavaScript backend, and this script says so once.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

if (process.env.ATTN_SKIP_NATIVE_BUILD) {
  console.warn(
    'attn: ATTN_SKIP_NATIVE_BUILD is set; not building the native addon (the JavaScript backend runs)',
  );
  process.exit(0);
}

// The addon's N-API glue is generated from the kernel table (scripts/gen-native-glue.mjs).
const generated = spawnSync(
  process.execPath,
  [join(dirname(fileURLToPath(import.meta.url)), 'gen-native-glue.mjs')],
  {
    stdio: ['ignore', 'inherit', 'pipe'],
    encoding: 'utf8',
  },
);

let gyp;
try {
  gyp = createRequire(import.meta.url).resolve('node-gyp/bin/node-gyp.js');
} catch {
  gyp = null;
}

// node-gyp downloads Node's headers unless told where they are; npm passes npm_config_nodedir when configured,
// and otherwise the headers installed beside this node binary (distribution packages put them there) let the
// build work offline.
const args = ['rebuild'];
const prefix = dirname(dirname(process.execPath));
if (!process.env.npm_config_nodedir && existsSync(join(prefix, 'include', 'node', 'node.h'))) {
  args.push(`--nodedir=${prefix}`);
}

const result =
  generated.status !== 0
    ? generated
    : gyp
      ? spawnSync(process.execPath, [gyp, ...args], { stdio: ['ignore', 'ignore', 'pipe'], encoding: 'utf8' })
      : spawnSync('node-gyp', args, {
          stdio: ['ignore', 'ignore', 'pipe'],
          encoding: 'utf8',
          shell: true,
        });

if (result.status !== 0) {
  const detail = (result.stderr || result.error?.message || '').trim().split('\n').slice(-5).join('\n  ');
  console.warn(
    `attn: WARNING: the native addon could not be built, so attn will use its (slower) JavaScript backend.\n` +
      `  To build it, install a C++ toolchain and Python 3, then run npm rebuild (or node scripts/build-native.mjs)\n  ${detail}`,
  );
}
process.exit(0);
