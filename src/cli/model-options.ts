/**
 * The model flags of `attn train`, derived from the architectures' config declarations (src/models/registry.ts):
 * each field's flag (`--hidden-size`, `--heads`, ...; a boolean's flag sets the value that is not the default)
 * applies to the architectures that declare it, and `--help` lists every architecture's fields with their
 * defaults. A flag that one architecture's config does not have is a usage error for that architecture.
 */
import type { ConfigField, ConfigValue } from '../models/config.js';
import { flagOf } from '../models/config.js';
import { architectureInfo, ARCHITECTURES, type Architecture } from '../models/registry.js';
import { choiceValue, intValue, numberValue, type OptionSpec, type OptionValues } from './options.js';
import { UsageError } from './usage.js';

/** A model flag and the config key(s) it sets in each architecture it applies to. */
export interface ModelOption extends OptionSpec {
  keys: Partial<Record<Architecture, string[]>>;
}

const PLACEHOLDER: Record<ConfigField['kind'], string | undefined> = {
  int: 'N',
  float: 'P',
  choice: 'S',
  boolean: undefined,
};

/** Every flag some architecture's config declares, in the order of first appearance. */
function modelOptions(): ModelOption[] {
  const options = new Map<string, ModelOption>();
  for (const architecture of ARCHITECTURES) {
    for (const [key, field] of Object.entries(architectureInfo(architecture).config)) {
      for (const flag of [flagOf(key, field), field.groupFlag]) {
        if (flag === undefined) continue;
        let option = options.get(flag);
        if (option === undefined) {
          const value = field.groupFlag === flag ? 'N' : PLACEHOLDER[field.kind];
          option = {
            name: flag,
            type: value === undefined ? 'boolean' : 'string',
            ...(value === undefined ? {} : { value }),
            help: '',
            keys: {},
          };
          options.set(flag, option);
        }
        (option.keys[architecture] ??= []).push(key);
      }
    }
  }
  for (const option of options.values()) option.help = Object.keys(option.keys).join(', ');
  return [...options.values()];
}

export const MODEL_OPTIONS: readonly ModelOption[] = modelOptions();

/** One value of a flag, checked against the field of `architecture` it sets. */
function flagValue(values: OptionValues, name: string, field: ConfigField): ConfigValue {
  switch (field.kind) {
    case 'boolean':
      return !field.default;
    case 'int':
      return intValue(values, name, field.min, field.max)!;
    case 'float':
      return numberValue(values, name, field.min, field.max)!;
    case 'choice':
      return choiceValue(values, name, field.choices)!;
  }
}

/** The config keys the flags given set for `architecture`; a flag that does not apply is a usage error. */
export function modelSettings(values: OptionValues, architecture: Architecture): Record<string, ConfigValue> {
  const config = architectureInfo(architecture).config;
  const out: Record<string, ConfigValue> = {};
  for (const option of MODEL_OPTIONS) {
    if (values[option.name] === undefined || values[option.name] === false) continue;
    const keys = option.keys[architecture];
    if (keys === undefined) {
      const applies = Object.keys(option.keys).join(', ');
      throw new UsageError(`--${option.name} does not apply to --arch ${architecture} (only to ${applies})`);
    }
    for (const key of keys) out[key] = flagValue(values, option.name, config[key]!);
  }
  return out;
}

/** `attn train --help`'s list of each architecture's config: flag, key, default and meaning. */
export function architectureHelp(): string {
  const sections = ARCHITECTURES.map((architecture) => {
    const { task, summary, config } = architectureInfo(architecture);
    const rows = Object.entries(config).map(([key, field]) => {
      const value = PLACEHOLDER[field.kind];
      const left = `--${flagOf(key, field)}${value === undefined ? '' : ` ${value}`}`;
      const group = field.groupFlag === undefined ? '' : ` (--${field.groupFlag} sets it too)`;
      return [left, `${key} ${String(field.default)}: ${field.help}${group}`] as const;
    });
    return { title: `  ${architecture} (${task}): ${summary}`, rows };
  });
  const width = Math.max(...sections.flatMap((s) => s.rows.map(([left]) => left.length))) + 2;
  return sections
    .map((s) => [s.title, ...s.rows.map(([left, right]) => `    ${left.padEnd(width)}${right}`)].join('\n'))
    .join('\n');
}
