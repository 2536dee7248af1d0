/**
 * How an architecture declares its configuration: one field per hyper-parameter with its kind, default, range
 * and help, written once beside the model. Everything else is derived from the declaration: the TypeScript type
 * of the config (`ConfigOf`), the defaults, the checks of values read from a file or the command line
 * (`checkFields`), and the `attn train` flags and help.
 *
 * ```ts
 * const SPEC = { hiddenSize: int(256, 1, 4096, 'hidden size'), bidirectional: bool(false, 'a BiGRU encoder') };
 * type Config = ConfigOf<typeof SPEC>;   // { hiddenSize: number; bidirectional: boolean }
 * ```
 *
 * Names are the same in every architecture's config and in the model option types: `embeddingDim` (an
 * embedding's width), `dModel` (a Transformer's width), `nhead` (attention heads of a Transformer),
 * `src*`/`tgt*` (source and target sides), `padId` (the padding id). Layer-level options keep PyTorch's layer
 * names (`MultiHeadAttention`'s embedDim/numHeads, `Embedding`'s paddingIdx), as state dicts do.
 */
import { fail } from '../tensor/errors.js';

interface FieldBase {
  help: string;
  /** The `attn train` flag that sets it (default: the key in kebab-case, e.g. hiddenSize → --hidden-size). */
  flag?: string;
  /** A second flag that sets it together with other fields (e.g. --layers: encoder and decoder layers). */
  groupFlag?: string;
}

export interface NumberField extends FieldBase {
  kind: 'int' | 'float';
  default: number;
  /** Inclusive bounds. */
  min: number;
  max: number;
}

/** A switch; its flag sets the value that is not the default (e.g. --post-norm sets normFirst false). */
export interface BooleanField extends FieldBase {
  kind: 'boolean';
  default: boolean;
}

export interface ChoiceField<C extends string = string> extends FieldBase {
  kind: 'choice';
  default: C;
  choices: readonly C[];
}

export type ConfigField = NumberField | BooleanField | ChoiceField;
export type ConfigSpec = Readonly<Record<string, ConfigField>>;
export type ConfigValue = number | boolean | string;

/** The config type a declaration describes: numbers, booleans and the union of each choice's values. */
export type ConfigOf<S extends ConfigSpec> = {
  -readonly [K in keyof S]: S[K] extends ChoiceField<infer C>
    ? C
    : S[K] extends BooleanField
      ? boolean
      : number;
};

type Extra = Pick<FieldBase, 'flag' | 'groupFlag'>;

export const int = (def: number, min: number, max: number, help: string, extra: Extra = {}): NumberField => ({
  kind: 'int',
  default: def,
  min,
  max,
  help,
  ...extra,
});

export const float = (
  def: number,
  min: number,
  max: number,
  help: string,
  extra: Extra = {},
): NumberField => ({
  kind: 'float',
  default: def,
  min,
  max,
  help,
  ...extra,
});

export const bool = (def: boolean, help: string, extra: Extra = {}): BooleanField => ({
  kind: 'boolean',
  default: def,
  help,
  ...extra,
});

export const choice = <C extends string>(
  def: NoInfer<C>,
  choices: readonly C[],
  help: string,
  extra: Extra = {},
): ChoiceField<C> => ({ kind: 'choice', default: def, choices, help, ...extra });

/** The defaults of a declaration, as its config type. */
export function defaultsOf<S extends ConfigSpec>(spec: S): ConfigOf<S> {
  return Object.fromEntries(Object.entries(spec).map(([key, field]) => [key, field.default])) as ConfigOf<S>;
}

/** The `attn train` flag of a field. */
export function flagOf(key: string, field: ConfigField): string {
  return field.flag ?? key.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`);
}

/** A value's check against its field: null when it is fine, else what it must be. */
export function fieldProblem(field: ConfigField, value: unknown): string | null {
  switch (field.kind) {
    case 'boolean':
      return typeof value === 'boolean' ? null : 'true or false';
    case 'choice':
      return typeof value === 'string' && field.choices.includes(value)
        ? null
        : `one of ${field.choices.join(', ')}`;
    case 'int':
    case 'float': {
      const what = `${field.kind === 'int' ? 'an integer' : 'a number'} in [${field.min}, ${field.max}]`;
      if (typeof value !== 'number' || !Number.isFinite(value)) return what;
      if (field.kind === 'int' && !Number.isInteger(value)) return what;
      return value < field.min || value > field.max ? what : null;
    }
  }
}

/**
 * `given` checked against `spec`, defaults filled in: an unknown key or a value out of its range is an error
 * naming `source` (a file, or 'model options').
 */
export function checkFields<S extends ConfigSpec>(
  op: string,
  name: string,
  spec: S,
  given: Readonly<Record<string, unknown>>,
  source: string,
): ConfigOf<S> {
  const keys = Object.keys(spec);
  for (const key of Object.keys(given)) {
    if (!Object.hasOwn(spec, key))
      fail(
        op,
        `${source}: ${name} has no hyper-parameter ${JSON.stringify(key)} (it has ${keys.join(', ')})`,
      );
  }
  const out: Record<string, ConfigValue> = {};
  for (const key of keys) {
    const field = spec[key]!;
    const value = given[key];
    if (value === undefined) {
      out[key] = field.default;
      continue;
    }
    const problem = fieldProblem(field, value);
    if (problem !== null) fail(op, `${source}: ${key} must be ${problem}, got ${JSON.stringify(value)}`);
    out[key] = value as ConfigValue;
  }
  return out as ConfigOf<S>;
}
