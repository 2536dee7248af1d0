/* global process, console, Buffer */
// Writes the native addon's glue from the kernel table (src/backend/kernel-table.ts), before node-gyp builds:
// native/generated/kernel_args.h, one enum per table enum and one struct per kernel (pointers with their lengths,
// scalars) with the entry point `void <kernel>(const <Kernel>Args&)` that the kernel's .cc implements; and
// native/generated/glue.cc, one N-API function per kernel that reads its fields in table order with native/glue.h's
// Reader, checks the table's rules (a JS TypeError or RangeError names the kernel and argument) and calls the entry
// point, and register_kernels(), which exports them under their table names. Both are build outputs (git-ignored).
//
// The table comes from src/backend/kernel-table.ts, transpiled with typescript, in a clone (where `npm ci` has
// installed the dev dependencies before it runs this), or from dist/backend/kernel-table.js in an installed
// package (which ships dist/ but not src/).
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');

async function loadTable() {
  const source = join(root, 'src/backend/kernel-table.ts');
  if (existsSync(source)) {
    const ts = createRequire(import.meta.url)('typescript');
    const js = ts.transpileModule(readFileSync(source, 'utf8'), {
      compilerOptions: { module: ts.ModuleKind.ESNext, target: ts.ScriptTarget.ES2022 },
    }).outputText;
    return import(`data:text/javascript;base64,${Buffer.from(js).toString('base64')}`);
  }
  return import(pathToFileURL(join(root, 'dist/backend/kernel-table.js')).href);
}

const pascal = (s) => s[0].toUpperCase() + s.slice(1);
const snake = (s) => s.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`);
const CTYPE = { f32: 'float', i32: 'int32_t', u8: 'uint8_t', any: 'void' };
const SCALAR = { count: 'long', int: 'long', number: 'double', boolean: 'bool', ints: 'std::vector<long>' };
const READ = { count: 'count', int: 'integer', number: 'number', ints: 'ints' };

/** A table rule in C++: fields become members of `a`, len(x) its length, the layout sets their strides. */
function cpp(rule) {
  return rule
    .replace(/\blen\((\w+)\)/g, 'a.$1_len')
    .replace(/(?<![.\w])([A-Za-z_]\w*)\b(?!\s*\()/g, (name) => `a.${name}`)
    .replace(/a\.a\.(\w+)_len/g, 'a.$1_len');
}

/** The C++ members of one field. */
function members(name, f) {
  switch (f.kind) {
    case 'array': {
      const dtype = f.dtype === 'any' ? ` Dtype ${name}_dtype;` : '';
      return `  ${f.role === 'in' ? 'const ' : ''}${CTYPE[f.dtype]}* ${name}; long ${name}_len;${dtype}`;
    }
    case 'enum':
      return `  ${f.cpp} ${name};`;
    case 'layout':
      return Object.keys(f.sets)
        .map((set) => `  Strides3 ${name}_${set};`)
        .join('\n');
  }
  return `  ${SCALAR[f.kind]} ${name};`;
}

/** The statements that read field `name` (argument i) into `a` with the Reader `in` (native/glue.h). */
function read(name, f, i) {
  const at = `${i}, "${name}"`;
  switch (f.kind) {
    case 'array': {
      const dtype = f.dtype === 'any' ? `, &a.${name}_dtype` : '';
      const nullable = Boolean(f.nullable || f.optional);
      return `  in.array(${at}, Dtype::${pascal(f.dtype)}, ${nullable}, a.${name}, a.${name}_len${dtype});`;
    }
    case 'boolean':
      return `  a.${name} = in.boolean(${at}, ${Boolean(f.optional)});`;
    case 'enum':
      return `  a.${name} = static_cast<${f.cpp}>(in.choice(${at}, ${f.values.length + (f.nullable ? 1 : 0)}));`;
    case 'layout': {
      const sets = Object.entries(f.sets);
      const lines = [
        `  { long s[${3 * sets.length}]; const bool given = in.layout(${at}, s, ${3 * sets.length});`,
      ];
      sets.forEach(([set, strides], j) => {
        const fallback = strides.split(',').map((e) => cpp(e.trim()));
        const given = [0, 1, 2].map((k) => `s[${3 * j + k}]`);
        lines.push(
          `    a.${name}_${set} = given ? Strides3{${given.join(', ')}} : Strides3{${fallback.join(', ')}};`,
        );
      });
      return `${lines.join('\n')} }`;
    }
  }
  return `  a.${name} = in.${READ[f.kind]}(${at});`;
}

/** The checks of array `name` after every field is read. */
function checks(name, f) {
  if (f.kind !== 'array') return [];
  const out = [];
  if (f.length) out.push(`  in.need("${name}", a.${name}, a.${name}_len, ${cpp(f.length)});`);
  if (f.walk) {
    const walk = f.walk.split(',').map((e) => cpp(e.trim()));
    out.push(`  if (a.${name}) in.walk("${name}", a.${name}_len, ${walk.join(', ')});`);
  }
  if (f.indexBelow) {
    const count = f.length ? cpp(f.length) : `a.${name}_len`;
    const except = f.indexExcept ? `true, ${cpp(f.indexExcept)}` : 'false, 0';
    out.push(`  if (a.${name}) in.index("${name}", a.${name}, ${count}, ${cpp(f.indexBelow)}, ${except});`);
  }
  return out;
}

function glueFunction(kernel, spec) {
  const fields = Object.entries(spec.args);
  const [first, ...same] = spec.sameDtype ?? [];
  return [
    `void ${pascal(kernel)}Glue(const Napi::CallbackInfo& info) {`,
    `  const Reader in{info, "${kernel}"};`,
    `  ${pascal(kernel)}Args a;`,
    ...fields.map(([name, f], i) => read(name, f, i)),
    ...same.map(
      (o) =>
        `  if (a.${o} && a.${o}_dtype != a.${first}_dtype) in.fail(false, "${o}", "must have ${first}'s dtype");`,
    ),
    ...fields.flatMap(([name, f]) => checks(name, f)),
    ...(spec.requires ?? []).map(
      ([rule, meaning]) => `  if (!(${cpp(rule)})) in.fail(true, nullptr, ${JSON.stringify(meaning)});`,
    ),
    `  ${snake(kernel)}(a);`,
    '}',
  ].join('\n');
}

function header(table) {
  const enums = new Map();
  for (const spec of Object.values(table))
    for (const f of Object.values(spec.args))
      if (f.kind === 'enum') enums.set(f.cpp, [...(f.nullable ? ['None'] : []), ...f.values.map(pascal)]);
  const out = [
    '// Generated by scripts/gen-native-glue.mjs from src/backend/kernel-table.ts: do not edit.',
    '// One struct per kernel (its fields in table order; every array with its length), and the entry point that',
    "// the kernel's .cc implements. The glue has checked every rule of the table before an entry point runs.",
    '#pragma once',
    '',
    '#include <cstdint>',
    '#include <vector>',
    '',
    '#include "../kernel_types.h"',
    '',
    'namespace attn {',
    '',
  ];
  for (const [name, values] of enums) out.push(`enum class ${name} { ${values.join(', ')} };`);
  out.push('');
  for (const [kernel, spec] of Object.entries(table)) {
    out.push(`// ${kernel}: ${spec.doc.length > 100 ? `${spec.doc.slice(0, 100)}…` : spec.doc}`);
    out.push(`struct ${pascal(kernel)}Args {`);
    for (const [name, f] of Object.entries(spec.args)) out.push(members(name, f));
    out.push('};', `void ${snake(kernel)}(const ${pascal(kernel)}Args& a);`, '');
  }
  out.push('}  // namespace attn', '');
  return out.join('\n');
}

function glue(table) {
  const out = [
    '// Generated by scripts/gen-native-glue.mjs from src/backend/kernel-table.ts: do not edit.',
    '#include <napi.h>',
    '',
    '#include "../glue.h"',
    '#include "kernel_args.h"',
    '',
    'namespace attn {',
    'namespace {',
    '',
    'using namespace glue;',
    '',
  ];
  for (const [kernel, spec] of Object.entries(table)) out.push(glueFunction(kernel, spec), '');
  out.push('}  // namespace', '', 'void register_kernels(Napi::Env env, Napi::Object exports) {');
  for (const kernel of Object.keys(table))
    out.push(`  exports.Set("${kernel}", Napi::Function::New(env, ${pascal(kernel)}Glue));`);
  out.push('}', '', '}  // namespace attn', '');
  return out.join('\n');
}

/**
 * The slots of one field in the WebAssembly argument block (native/wasm/glue.h; src/backend/wasm/addon.ts fills
 * it with the same counts): an array its address, length and dtype, an int list or a layout an address and a count.
 */
const wasmSlots = (f) => (f.kind === 'array' ? 3 : f.kind === 'ints' || f.kind === 'layout' ? 2 : 1);

/** The statements that read field `name` (at slot i) into `a` with the WebAssembly Reader `in`. */
function wasmRead(name, f, i) {
  const at = `${i}, "${name}"`;
  const attempt = (call) => `  if (!${call}) return 0;`;
  switch (f.kind) {
    case 'array':
      return attempt(
        `in.array(${i}, a.${name}, a.${name}_len${f.dtype === 'any' ? `, &a.${name}_dtype` : ''})`,
      );
    case 'number':
      return attempt(`in.number(${at}, a.${name})`);
    case 'boolean':
      return attempt(`in.boolean(${at}, a.${name})`);
    case 'enum':
      return [
        `  { int c; if (!in.choice(${at}, ${f.values.length + (f.nullable ? 1 : 0)}, c)) return 0;`,
        `    a.${name} = static_cast<${f.cpp}>(c); }`,
      ].join('\n');
    case 'layout': {
      const sets = Object.entries(f.sets);
      const lines = [
        `  { long s[${3 * sets.length}]; bool given; if (!in.layout(${at}, s, ${3 * sets.length}, given)) return 0;`,
      ];
      sets.forEach(([set, strides], j) => {
        const fallback = strides.split(',').map((e) => cpp(e.trim()));
        const given = [0, 1, 2].map((k) => `s[${3 * j + k}]`);
        lines.push(
          `    a.${name}_${set} = given ? Strides3{${given.join(', ')}} : Strides3{${fallback.join(', ')}};`,
        );
      });
      return `${lines.join('\n')} }`;
    }
  }
  return attempt(`in.${READ[f.kind]}(${at}, a.${name})`);
}

/** A C++ check of checks() as a WebAssembly one: it returns 0 (the error recorded) instead of throwing. */
const wasmCheck = (line) =>
  line.replace(
    /^ {2}(if \(.*?\) )?in\.(\w+)\((.*)\);$/,
    (_, cond, call, rest) => `  ${cond ?? ''}if (!in.${call}(${rest})) return 0;`,
  );

function wasmFunction(kernel, spec) {
  const fields = Object.entries(spec.args);
  const [first, ...same] = spec.sameDtype ?? [];
  let slot = 0;
  const reads = fields.map(([name, f]) => {
    const line = wasmRead(name, f, slot);
    slot += wasmSlots(f);
    return line;
  });
  return [
    `extern "C" __attribute__((export_name("${kernel}"))) int wasm_${snake(kernel)}(const double* s) {`,
    `  const Reader in{s, "${kernel}"};`,
    `  ${pascal(kernel)}Args a;`,
    ...reads,
    ...same.map(
      (o) =>
        `  if (a.${o} && a.${o}_dtype != a.${first}_dtype) return in.fail(false, "${o}", "must have ${first}'s dtype");`,
    ),
    ...fields.flatMap(([name, f]) => checks(name, f)).map(wasmCheck),
    ...(spec.requires ?? []).map(
      ([rule, meaning]) =>
        `  if (!(${cpp(rule)})) return in.fail(true, nullptr, ${JSON.stringify(meaning)});`,
    ),
    `  ${snake(kernel)}(a);`,
    '  return 1;',
    '}',
  ].join('\n');
}

/**
 * The WebAssembly build's entry points (scripts/build-wasm.mjs): one exported C function per kernel, named as in
 * the table, taking the argument block; it returns 1 when the kernel ran and 0 when a check failed.
 */
function wasmGlue(table) {
  const out = [
    '// Generated by scripts/gen-native-glue.mjs from src/backend/kernel-table.ts: do not edit.',
    '#include "../wasm/glue.h"',
    '#include "kernel_args.h"',
    '',
    'namespace attn {',
    '',
    'using namespace wasm;',
    '',
  ];
  for (const [kernel, spec] of Object.entries(table)) out.push(wasmFunction(kernel, spec), '');
  out.push('}  // namespace attn', '');
  return out.join('\n');
}

/** Writes `text` to `path` unless it already holds it (so an unchanged table does not rebuild the addon). */
function write(path, text) {
  if (existsSync(path) && readFileSync(path, 'utf8') === text) return;
  writeFileSync(path, text);
}

/**
 * The kernels whose entry point some native/*.cc defines: the others are left out of the addon, and the native
 * backend inherits them from the JavaScript reference until they are ported.
 */
function ported(table) {
  const sources = readdirSync(join(root, 'native'))
    .filter((f) => f.endsWith('.cc'))
    .map((f) => readFileSync(join(root, 'native', f), 'utf8'))
    .join('\n');
  return Object.fromEntries(
    Object.entries(table).filter(([kernel]) =>
      new RegExp(`\\bvoid ${snake(kernel)}\\(const ${pascal(kernel)}Args&`).test(sources),
    ),
  );
}

const { KERNELS } = await loadTable();
const dir = join(root, 'native/generated');
mkdirSync(dir, { recursive: true });
write(join(dir, 'kernel_args.h'), header(KERNELS));
write(join(dir, 'glue.cc'), glue(ported(KERNELS)));
write(join(dir, 'wasm_glue.cc'), wasmGlue(ported(KERNELS)));
if (process.argv.includes('--verbose'))
  console.log(`attn: wrote the glue of ${Object.keys(KERNELS).length} kernels to ${dir}`);
