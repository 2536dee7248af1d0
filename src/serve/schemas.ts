/**
 * JSON schemas of the request bodies, built from the limits, and the turning of a schema complaint into a
 * message a user can act on ("beamSize must be at most 8", "unknown field 'beam'; the fields are ...").
 */
import { ATTENTION_CHOICES, type AttentionChoice } from './answer-budget.js';
import { MAX_TEMPERATURE } from '../inference/types.js';
import type { ServeLimits } from './limits.js';

export interface TranslateBody {
  text: string;
  beamSize?: number;
  maxLength?: number;
  nBest?: number;
  attention?: AttentionChoice;
  sample?: boolean;
  temperature?: number;
  topK?: number;
  topP?: number;
  seed?: number;
}

/** The fields that only sampling takes. */
export const SAMPLING_FIELDS = ['temperature', 'topK', 'topP', 'seed'] as const;

export interface ClassifyBody {
  text: string;
}

function textSchema(limits: ServeLimits) {
  // The pattern rejects text that is empty or only whitespace: the model would have nothing to read.
  return { type: 'string', minLength: 1, maxLength: limits.maxChars, pattern: '\\S' } as const;
}

export function translateBodySchema(limits: ServeLimits) {
  return {
    type: 'object',
    required: ['text'],
    additionalProperties: false,
    properties: {
      text: textSchema(limits),
      beamSize: { type: 'integer', minimum: 1, maximum: limits.maxBeamSize },
      maxLength: { type: 'integer', minimum: 1, maximum: limits.maxLength },
      nBest: { type: 'integer', minimum: 1, maximum: limits.maxBeamSize },
      attention: { type: 'string', enum: ATTENTION_CHOICES },
      sample: { type: 'boolean' },
      temperature: { type: 'number', exclusiveMinimum: 0, maximum: MAX_TEMPERATURE },
      topK: { type: 'integer', minimum: 0, maximum: Number.MAX_SAFE_INTEGER },
      topP: { type: 'number', exclusiveMinimum: 0, maximum: 1 },
      seed: { type: 'integer', minimum: 0, maximum: Number.MAX_SAFE_INTEGER },
    },
  } as const;
}

export function classifyBodySchema(limits: ServeLimits) {
  return {
    type: 'object',
    required: ['text'],
    additionalProperties: false,
    properties: { text: textSchema(limits) },
  } as const;
}

/** The parts of an Ajv error the messages need (fastify passes Ajv's error objects). */
export interface SchemaError {
  keyword: string;
  instancePath: string;
  params: Record<string, unknown>;
  message?: string;
}

const EXAMPLE = '{"text": "..."}';

/** One sentence for the first schema error of a body whose schema allows the fields `allowed`. */
export function describeSchemaError(error: SchemaError, allowed: readonly string[]): string {
  const field = error.instancePath.replace(/^\//, '').replace(/\//g, '.');
  const name = field || 'the body';
  const p = error.params;
  switch (error.keyword) {
    case 'additionalProperties':
      return `unknown field '${String(p.additionalProperty)}'; the fields are ${allowed.join(', ')}`;
    case 'required':
      return `the body has no '${String(p.missingProperty)}' field; send a JSON object like ${EXAMPLE}`;
    case 'type':
      return field
        ? `${name} must be ${article(String(p.type))}`
        : `the body must be a JSON object like ${EXAMPLE}`;
    case 'minimum':
      return `${name} must be at least ${String(p.limit)}`;
    case 'maximum':
      return `${name} must be at most ${String(p.limit)}`;
    case 'exclusiveMinimum':
      return `${name} must be greater than ${String(p.limit)}`;
    case 'maxLength':
      return `${name} is longer than ${String(p.limit)} characters`;
    case 'minLength':
    case 'pattern':
      return `${name} is empty: it must contain at least one non-space character`;
    case 'enum':
      return `${name} must be one of ${(p.allowedValues as unknown[]).map((v) => JSON.stringify(v)).join(', ')}`;
    default:
      return `${name} ${error.message ?? 'is invalid'}`;
  }
}

function article(type: string): string {
  if (type === 'integer') return 'an integer';
  if (type === 'object') return 'a JSON object';
  return `a ${type}`;
}
