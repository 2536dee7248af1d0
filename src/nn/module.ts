/**
 * Module: a piece of a model that owns parameters and submodules, with PyTorch's naming (`out_proj.weight`),
 * state dicts and train/eval modes. Subclasses register what they own in their constructor and define their own
 * typed `forward`.
 */
import { fail } from '../tensor/errors.js';
import { cappedList } from './capped-list.js';
import { formatShape, shapesEqual } from '../tensor/shape.js';
import { Tensor } from '../tensor/tensor.js';

export type StateDict = Map<string, Tensor>;

export interface LoadStateDictResult {
  missingKeys: string[];
  unexpectedKeys: string[];
}

export class Module {
  /** Whether the module is in training mode (dropout active). Set with train()/eval(). */
  training = true;
  private readonly params = new Map<string, Tensor | null>();
  private readonly children = new Map<string, Module>();

  /** Registers a parameter under `name` (PyTorch's attribute name); it is made a leaf that requires grad. */
  protected registerParameter(name: string, value: Tensor | null): Tensor | null {
    checkName(this, name);
    if (value !== null) {
      if (!(value instanceof Tensor) || value.dtype !== 'float32') {
        fail(this.constructor.name, `parameter ${name} must be a float32 Tensor`);
      }
      if (!value.isLeaf)
        fail(this.constructor.name, `parameter ${name} must be a leaf tensor (detach it first)`);
      value.requireGrad();
    }
    this.params.set(name, value);
    return value;
  }

  protected registerModule<M extends Module>(name: string, module: M): M {
    checkName(this, name);
    this.children.set(name, module);
    return module;
  }

  /** (name, parameter) pairs of this module and all submodules, in registration order, names dotted. */
  namedParameters(prefix = ''): [string, Tensor][] {
    const out: [string, Tensor][] = [];
    for (const [name, p] of this.params) if (p) out.push([prefix + name, p]);
    for (const [name, child] of this.children) out.push(...child.namedParameters(`${prefix}${name}.`));
    return out;
  }

  parameters(): Tensor[] {
    return this.namedParameters().map(([, p]) => p);
  }

  namedModules(prefix = ''): [string, Module][] {
    const out: [string, Module][] = [[prefix.replace(/\.$/, ''), this]];
    for (const [name, child] of this.children) out.push(...child.namedModules(`${prefix}${name}.`));
    return out;
  }

  /** Number of parameter elements (each shared tensor counted once). */
  numParameters(): number {
    return [...new Set(this.parameters())].reduce((n, p) => n + p.size, 0);
  }

  /** Parameters by PyTorch name; the tensors are the live parameters (copy them to snapshot). */
  stateDict(): StateDict {
    return new Map(this.namedParameters());
  }

  /**
   * Copies values into the parameters, in place (optimisers holding them stay valid). Strict mode (default)
   * throws listing missing keys, unexpected keys and shape mismatches; otherwise they are returned.
   */
  loadStateDict(
    state: StateDict | Record<string, Tensor>,
    options: { strict?: boolean } = {},
  ): LoadStateDictResult {
    const strict = options.strict ?? true;
    const entries = state instanceof Map ? state : new Map(Object.entries(state));
    const own = new Map(this.namedParameters());
    const missingKeys = [...own.keys()].filter((k) => !entries.has(k));
    const unexpectedKeys = [...entries.keys()].filter((k) => !own.has(k));
    const mismatched: string[] = [];
    for (const [key, param] of own) {
      const value = entries.get(key);
      if (!value) continue;
      if (!shapesEqual(value.shape, param.shape) || value.dtype !== 'float32') {
        mismatched.push(
          `${key}: expected ${formatShape(param.shape)}, got ${formatShape(value.shape)} ${value.dtype}`,
        );
      }
    }
    const problems = [
      missingKeys.length ? `missing keys: ${cappedList(missingKeys)}` : '',
      strict && unexpectedKeys.length ? `unexpected keys: ${cappedList(unexpectedKeys)}` : '',
      mismatched.length ? `shape mismatches: ${cappedList(mismatched, '; ')}` : '',
    ].filter(Boolean);
    if (mismatched.length || (strict && problems.length)) {
      fail(`${this.constructor.name}.loadStateDict`, problems.join('; '));
    }
    for (const [key, param] of own) {
      const value = entries.get(key);
      if (value) param.data.set(value.data);
    }
    return { missingKeys, unexpectedKeys };
  }

  /** Training mode (dropout active) for this module and its submodules. */
  train(mode = true): this {
    for (const [, m] of this.namedModules()) m.training = mode;
    return this;
  }

  /** Evaluation mode: train(false). */
  eval(): this {
    return this.train(false);
  }

  /** Clears the gradients of every parameter. */
  zeroGrad(): void {
    for (const p of this.parameters()) p.zeroGrad();
  }
}

function checkName(module: Module, name: string): void {
  if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(name))
    fail(module.constructor.name, `invalid parameter or module name '${name}'`);
}
