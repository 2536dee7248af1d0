/* global process, console, Buffer */
// Writes the native addon's glue from the kernel table (src/backend/kernel-table.ts), before node-gyp builds:
//   native/generated/kernel_args.h  one enum per table enum, one struct per kernel (its fields: pointers with
//                                   their lengths, scalars), and the entry point `void <kernel>(const <Kernel>Args&)`
//                                   that the kernel's .cc implements;
//   native/generated/glue.cc        one N-API function per kernel that reads the fields in table order, checks
//                                   every array's type and length and the table's other rules (throwing a JS
//                                   TypeError or RangeError naming the kernel and argument), then calls the entry
//                                   point; and register_kernels(), which exports them under their table names.
// The files are build outputs (git-ignored): a clone and an installed package both generate them here.
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
const CTYPE = { f32: 'float', i32: 'int32_t', u8: 'uint8_t' };
const DTYPE = { f32: 'Dtype::F32', i32: 'Dtype::I32', u8: 'Dtype::U8', any: 'Dtype::Any' };

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
      const type = f.dtype === 'any' ? 'void' : CTYPE[f.dtype];
      const constness = f.role === 'in' ? 'const ' : '';
      const dtype = f.dtype === 'any' ? ` Dtype ${name}_dtype;` : '';
      return `  ${constness}${type}* ${name}; long ${name}_len;${dtype}`;
    }
    case 'count':
    case 'int':
      return `  long ${name};`;
    case 'number':
      return `  double ${name};`;
    case 'boolean':
      return `  bool ${name};`;
    case 'ints':
      return `  std::vector<long> ${name};`;
    case 'enum':
      return `  ${f.cpp} ${name};`;
    case 'layout':
      return Object.keys(f.sets)
        .map((set) => `  Strides3 ${name}_${set};`)
        .join('\n');
  }
  throw new Error(`unknown field kind ${f.kind}`);
}

/** The statements that read field `name` (argument i) into `a`. */
function read(kernel, name, f, i) {
  const at = `info, ${i}, K, "${name}"`;
  switch (f.kind) {
    case 'array': {
      const type = f.dtype === 'any' ? 'void' : CTYPE[f.dtype];
      const constness = f.role === 'in' ? 'const ' : '';
      const nullable = f.nullable || f.optional ? 'true' : 'false';
      const dtype = f.dtype === 'any' ? ` a.${name}_dtype = r.dtype;` : '';
      return `  { ArrayRef r = read_array(${at}, ${DTYPE[f.dtype]}, ${nullable}); a.${name} = static_cast<${constness}${type}*>(r.data); a.${name}_len = r.length;${dtype} }`;
    }
    case 'count':
      return `  a.${name} = read_count(${at});`;
    case 'int':
      return `  a.${name} = read_int(${at});`;
    case 'number':
      return `  a.${name} = read_number(${at});`;
    case 'boolean':
      return `  a.${name} = read_boolean(${at}, ${f.optional ? 'true' : 'false'});`;
    case 'ints':
      return `  a.${name} = read_ints(${at});`;
    case 'enum': {
      const count = f.values.length + (f.nullable ? 1 : 0);
      return `  a.${name} = static_cast<${f.cpp}>(read_enum(${at}, ${count}));`;
    }
    case 'layout': {
      const sets = Object.entries(f.sets);
      const lines = [
        `  { long s[${3 * sets.length}]; const bool given = read_layout(${at}, s, ${3 * sets.length});`,
      ];
      sets.forEach(([set, strides], j) => {
        const fallback = strides.split(',').map((e) => cpp(e.trim()));
        lines.push(
          `    a.${name}_${set} = given ? Strides3{s[${3 * j}], s[${3 * j + 1}], s[${3 * j + 2}]} : Strides3{${fallback.join(', ')}};`,
        );
      });
      return `${lines.join('\n')} }`;
    }
  }
  throw new Error(`${kernel}.${name}: unknown field kind ${f.kind}`);
}

/** The checks of array `name` after every field is read. */
function checks(name, f) {
  if (f.kind !== 'array') return [];
  const out = [];
  if (f.length) out.push(`  need(env, K, "${name}", a.${name}, a.${name}_len, ${cpp(f.length)});`);
  if (f.walk) {
    const [offset, strides, shape] = f.walk.split(',').map((e) => cpp(e.trim()));
    out.push(
      `  if (a.${name}) check_walk(env, K, "${name}", a.${name}_len, ${offset}, ${strides}, ${shape});`,
    );
  }
  if (f.indexBelow) {
    const count = f.length ? cpp(f.length) : `a.${name}_len`;
    const except = f.indexExcept ? `true, ${cpp(f.indexExcept)}` : 'false, 0';
    out.push(
      `  if (a.${name}) check_index(env, K, "${name}", a.${name}, ${count}, ${cpp(f.indexBelow)}, ${except});`,
    );
  }
  return out;
}

function glueFunction(kernel, spec) {
  const fields = Object.entries(spec.args);
  const lines = [
    `void ${pascal(kernel)}Glue(const Napi::CallbackInfo& info) {`,
    `  static const char* const K = "${kernel}";`,
  ];
  lines.push(`  const Napi::Env env = info.Env();`, `  ${pascal(kernel)}Args a;`);
  fields.forEach(([name, f], i) => lines.push(read(kernel, name, f, i)));
  const same = spec.sameDtype ?? [];
  for (const other of same.slice(1))
    lines.push(
      `  if (a.${other} && a.${other}_dtype != a.${same[0]}_dtype) type_error(env, K, "${other}", "must have ${same[0]}'s dtype");`,
    );
  for (const [name, f] of fields) lines.push(...checks(name, f));
  for (const [rule, meaning] of spec.requires ?? [])
    lines.push(`  if (!(${cpp(rule)})) range_error(env, K, nullptr, ${JSON.stringify(meaning)});`);
  lines.push(`  ${snake(kernel)}(a);`, '}');
  return lines.join('\n');
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
if (process.argv.includes('--verbose'))
  console.log(`attn: wrote the glue of ${Object.keys(KERNELS).length} kernels to ${dir}`);
