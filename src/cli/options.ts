/**
 * Option tables for the subcommands: each command lists its options once, and gets from the list both its
 * parser (node:util parseArgs, strict: an unknown option is a usage error) and the option lines of its --help.
 * The value checks turn a bad value into a usage error naming the option, its range and what was given.
 */
import { parseArgs } from 'node:util';
import { parsingUsage, UsageError } from './usage.js';

export interface OptionSpec {
  name: string;
  type: 'string' | 'boolean';
  short?: string;
  /** The value's placeholder in --help (default VALUE). */
  value?: string;
  help: string;
}

export type OptionValues = Record<string, string | boolean | undefined>;

export const HELP_OPTION: OptionSpec = { name: 'help', type: 'boolean', short: 'h', help: 'show this help' };

/** Parses `args` against `specs` (strict); positionals are allowed only when asked for. */
export function parseOptions(
  args: readonly string[],
  specs: readonly OptionSpec[],
  allowPositionals = false,
): { values: OptionValues; positionals: string[] } {
  const options: Record<string, { type: 'string' | 'boolean'; short?: string }> = {};
  for (const s of specs) options[s.name] = s.short ? { type: s.type, short: s.short } : { type: s.type };
  const { values, positionals } = parsingUsage(() =>
    parseArgs({ args: [...args], options, strict: true, allowPositionals }),
  );
  return { values: values as OptionValues, positionals };
}

/** The option lines of a --help text, aligned. */
export function optionHelp(specs: readonly OptionSpec[]): string {
  const left = specs.map((s) => {
    const flag = `${s.short ? `-${s.short}, ` : '    '}--${s.name}`;
    return s.type === 'string' ? `${flag} ${s.value ?? 'VALUE'}` : flag;
  });
  const width = Math.max(...left.map((l) => l.length)) + 2;
  return specs.map((s, i) => `  ${left[i]!.padEnd(width)}${s.help}`).join('\n');
}

/** A string option's value (undefined when not given). */
export function stringValue(values: OptionValues, name: string): string | undefined {
  const v = values[name];
  if (v === undefined) return undefined;
  if (typeof v !== 'string') throw new UsageError(`--${name} needs a value`);
  return v;
}

/** An integer option in [min, max]. */
export function intValue(values: OptionValues, name: string, min: number, max: number): number | undefined {
  const text = stringValue(values, name);
  if (text === undefined) return undefined;
  const v = Number(text);
  if (!/^[-+]?\d+$/.test(text.trim()) || !Number.isSafeInteger(v) || v < min || v > max) {
    throw new UsageError(`--${name} must be an integer in [${min}, ${max}], got '${text}'`);
  }
  return v;
}

/** A number option in [min, max] (or (min, max] when `exclusiveMin`). */
export function numberValue(
  values: OptionValues,
  name: string,
  min: number,
  max: number,
  exclusiveMin = false,
): number | undefined {
  const text = stringValue(values, name);
  if (text === undefined) return undefined;
  const v = Number(text);
  if (text.trim() === '' || !Number.isFinite(v) || (exclusiveMin ? v <= min : v < min) || v > max) {
    throw new UsageError(
      `--${name} must be a number in ${exclusiveMin ? '(' : '['}${min}, ${max}], got '${text}'`,
    );
  }
  return v;
}

/** A choice option. */
export function choiceValue<T extends string>(
  values: OptionValues,
  name: string,
  choices: readonly T[],
): T | undefined {
  const text = stringValue(values, name);
  if (text === undefined) return undefined;
  if (!(choices as readonly string[]).includes(text)) {
    throw new UsageError(`--${name} must be one of ${choices.join(', ')}, got '${text}'`);
  }
  return text as T;
}
