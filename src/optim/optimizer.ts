/**
 * Optimizer: the base of SGD, Adam and AdamW. It holds parameter groups (each a list of parameter tensors with its
 * own hyper-parameters), updates `param.data` in place from `param.grad` on `step()`, and saves and restores its
 * state as plain data so that a resumed run continues bit for bit.
 *
 * Parameters are numbered as PyTorch numbers them: in order through the groups, 0, 1, 2, ... The state dict has
 * PyTorch's layout and key names, so it reads like `torch.optim.Optimizer.state_dict()`:
 *
 * ```
 * { state: { 0: { step: 3, exp_avg: Float32Array, exp_avg_sq: Float32Array }, ... },
 *   param_groups: [{ lr: 0.001, betas: [0.9, 0.999], eps: 1e-8, weight_decay: 0, amsgrad: false,
 *                    maximize: false, params: [0, 1, 2] }] }
 * ```
 *
 * Buffers are copies (Float32Array); `loadStateDict` also takes them as number arrays, so the dict survives a trip
 * through JSON (after converting the Float32Arrays with `Array.from`) without losing a bit.
 */
import { fail } from '../tensor/errors.js';
import { formatShape } from '../tensor/shape.js';
import { Tensor } from '../tensor/tensor.js';

/** Hyper-parameters every optimiser has. */
export interface OptimizerOptions {
  lr: number;
  weightDecay: number;
}

/** A hyper-parameter value as it appears in a state dict. */
export type HyperValue = number | boolean | readonly number[];

/** A parameter group: its parameters and its own (complete) hyper-parameters, which may be changed between steps. */
export type ParamGroup<O extends OptimizerOptions> = O & { readonly params: readonly Tensor[] };

/** A parameter group as given to a constructor: hyper-parameters left out take the optimiser's defaults. */
export type ParamGroupInput<O extends OptimizerOptions> = Partial<O> & { params: Iterable<Tensor> };

/** What an optimiser is built over: parameters, or parameter groups. */
export type ParamsInput<O extends OptimizerOptions> = Iterable<Tensor> | Iterable<ParamGroupInput<O>>;

/** One parameter's saved state: step counts as numbers, buffers as Float32Array (number[] accepted on load). */
export type ParamStateEntry = Record<string, number | Float32Array | readonly number[] | null>;

/** Serialisable optimiser state in PyTorch's layout (see the module comment). */
export interface OptimizerStateDict {
  state: Record<number, ParamStateEntry>;
  param_groups: (Record<string, HyperValue> & { params: number[] })[];
}

export abstract class Optimizer<O extends OptimizerOptions = OptimizerOptions, S = unknown> {
  /** The groups, in order; change their hyper-parameters (e.g. `lr`) freely between steps. */
  readonly paramGroups: ParamGroup<O>[] = [];
  /** Per-parameter state by parameter index; undefined until the parameter's first update. */
  protected state: (S | undefined)[] = [];
  private readonly seen = new Set<Tensor>();

  /**
   * @param name the optimiser's name, used in error messages ('SGD', 'Adam', ...)
   * @param defaults hyper-parameters for groups that do not set their own
   */
  protected constructor(
    readonly name: string,
    params: ParamsInput<O>,
    protected readonly defaults: O,
  ) {
    const items = [...(params as Iterable<Tensor | ParamGroupInput<O>>)];
    if (items.length === 0) fail(name, 'got an empty parameter list');
    if (items.every((x) => x instanceof Tensor)) {
      this.addParamGroup({ params: items as Tensor[] } as unknown as ParamGroupInput<O>);
    } else if (items.every((x) => !(x instanceof Tensor) && typeof x === 'object' && x !== null)) {
      for (const group of items as ParamGroupInput<O>[]) this.addParamGroup(group);
    } else {
      fail(name, 'params must be all tensors or all parameter groups ({ params, ...options })');
    }
  }

  /** Checks one group's hyper-parameters; `where` prefixes messages ('' or 'group 2: '). */
  protected abstract validate(options: O, where: string): void;

  /** Updates one parameter in place from its gradient; `index` is the parameter's number. */
  protected abstract update(param: Float32Array, grad: Float32Array, index: number, group: O): void;

  /** A parameter's state as plain data (buffers copied). */
  protected abstract saveState(state: S): ParamStateEntry;

  /**
   * Rebuilds a parameter's state from plain data, checking it against a parameter of `size` elements; undefined
   * for an entry that holds no state.
   */
  protected abstract loadState(entry: ParamStateEntry, size: number, where: string): S | undefined;

  /** Adds a group of parameters (e.g. to unfreeze layers while fine-tuning); its options default as at creation. */
  addParamGroup(group: ParamGroupInput<O>): void {
    const where = this.paramGroups.length > 0 ? `group ${this.paramGroups.length}: ` : '';
    if (typeof group !== 'object' || group === null || !('params' in group) || group.params == null) {
      fail(this.name, `${where}a parameter group needs a 'params' list`);
    }
    const params = group.params instanceof Tensor ? [group.params] : [...group.params];
    if (params.length === 0) fail(this.name, `${where}got an empty parameter list`);
    for (const p of params) {
      if (!(p instanceof Tensor) || p.dtype !== 'float32') {
        fail(this.name, `${where}parameters must be float32 Tensors`);
      }
      if (!p.isLeaf) fail(this.name, `${where}can't optimise a non-leaf tensor (detach it first)`);
      if (this.seen.has(p))
        fail(this.name, `${where}some parameters appear in more than one parameter group`);
    }
    const options = { ...this.defaults } as O;
    for (const key of Object.keys(group) as (keyof O & string)[]) {
      if ((key as string) === 'params') continue;
      if (!(key in this.defaults)) fail(this.name, `${where}unknown option '${key}'`);
      const value = (group as Partial<O>)[key];
      if (value !== undefined) options[key] = value as O[typeof key];
    }
    this.validate(options, where);
    for (const p of params) this.seen.add(p);
    this.paramGroups.push({ ...options, params: Object.freeze(params) });
  }

  /** The learning rate of the first group. */
  get lr(): number {
    return this.paramGroups[0]!.lr;
  }

  /** Sets the learning rate of every group (schedules with per-group rates use `LRScheduler`). */
  set lr(value: number) {
    checkNonNegative(this.name, 'lr', value);
    for (const group of this.paramGroups) group.lr = value;
  }

  /** All parameters, in index order. */
  parameters(): Tensor[] {
    return this.paramGroups.flatMap((g) => [...g.params]);
  }

  /** One update of every parameter that has a gradient; parameters whose `.grad` is null are skipped. */
  step(): void {
    let index = 0;
    for (const group of this.paramGroups) {
      this.validate(group, this.paramGroups.length > 1 ? `group ${this.paramGroups.indexOf(group)}: ` : '');
      for (const param of group.params) {
        const i = index++;
        const grad = param.grad;
        if (grad === null) continue;
        if (grad.dtype !== 'float32' || grad.size !== param.size) {
          fail(
            `${this.name}.step`,
            `gradient of parameter ${i} is ${formatShape(grad.shape)} ${grad.dtype}, the parameter is ${formatShape(param.shape)} float32`,
          );
        }
        this.update(param.data as Float32Array, grad.data as Float32Array, i, group);
      }
    }
  }

  /**
   * Clears the gradients: sets them to null (the default, as PyTorch 2) or, with `setToNone = false`, fills them
   * with zeros in place. Inside tidy(), the storage of the gradients it drops is released when the tidy scope
   * ends (see Tensor.zeroGrad).
   */
  zeroGrad(setToNone = true): void {
    for (const group of this.paramGroups) {
      for (const p of group.params) {
        if (setToNone) p.zeroGrad();
        else if (p.grad !== null) p.grad.data.fill(0);
      }
    }
  }

  /** The state as plain data with copied buffers (see the module comment for the layout). */
  stateDict(): OptimizerStateDict {
    const state: Record<number, ParamStateEntry> = {};
    this.state.forEach((s, i) => {
      if (s !== undefined) state[i] = this.saveState(s);
    });
    let index = 0;
    const param_groups = this.paramGroups.map((group) => {
      const entry: Record<string, HyperValue> = {};
      for (const key of Object.keys(this.defaults)) {
        const value = (group as unknown as Record<string, HyperValue>)[key]!;
        entry[snakeCase(key)] = Array.isArray(value) ? [...(value as number[])] : value;
      }
      return { ...entry, params: group.params.map(() => index++) };
    });
    return { state, param_groups };
  }

  /**
   * Restores hyper-parameters and state saved by `stateDict()` (or converted from PyTorch's) into an optimiser
   * over the same parameters in the same groups. Everything is checked before anything changes.
   */
  loadStateDict(dict: OptimizerStateDict): void {
    const op = `${this.name}.loadStateDict`;
    if (typeof dict !== 'object' || dict === null || !Array.isArray(dict.param_groups)) {
      fail(op, 'expected { state, param_groups }');
    }
    if (dict.param_groups.length !== this.paramGroups.length) {
      fail(
        op,
        `the dict has ${dict.param_groups.length} parameter groups, the optimiser has ${this.paramGroups.length}`,
      );
    }
    const sizes: number[] = [];
    const groupOptions: O[] = [];
    dict.param_groups.forEach((saved, g) => {
      const group = this.paramGroups[g]!;
      if (!Array.isArray(saved.params) || saved.params.length !== group.params.length) {
        fail(
          op,
          `group ${g} has ${Array.isArray(saved.params) ? saved.params.length : 'no'} parameters in the dict, ${group.params.length} in the optimiser`,
        );
      }
      const options = {} as Record<string, unknown>;
      for (const key of Object.keys(this.defaults)) {
        const value = saved[snakeCase(key)];
        const current = (group as unknown as Record<string, unknown>)[key];
        options[key] = value === undefined ? current : Array.isArray(value) ? [...value] : value;
        if (
          typeof options[key] !== typeof current ||
          Array.isArray(options[key]) !== Array.isArray(current)
        ) {
          fail(op, `group ${g}: ${snakeCase(key)} should be a ${typeof current}`);
        }
      }
      this.validate(options as O, `group ${g}: `);
      groupOptions.push(options as O);
      for (const p of group.params) sizes.push(p.size);
    });
    const state: (S | undefined)[] = [];
    for (const [key, entry] of Object.entries(dict.state ?? {})) {
      const i = Number(key);
      if (!Number.isInteger(i) || i < 0 || i >= sizes.length) {
        fail(op, `state for parameter ${key}, but the optimiser has parameters 0..${sizes.length - 1}`);
      }
      if (typeof entry !== 'object' || entry === null) fail(op, `state of parameter ${i} is not an object`);
      state[i] = this.loadState(entry, sizes[i]!, `${op}: parameter ${i}`);
    }
    groupOptions.forEach((options, g) => Object.assign(this.paramGroups[g]!, options));
    this.state = state;
  }
}

/** camelCase option name → PyTorch's snake_case (`weightDecay` → `weight_decay`). */
function snakeCase(name: string): string {
  return name.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`);
}

/** Fails unless `value` is a finite number ≥ 0. */
export function checkNonNegative(op: string, option: string, value: unknown, where = ''): void {
  if (typeof value !== 'number' || !Number.isFinite(value) || value < 0) {
    fail(op, `${where}invalid ${option}: must be a finite number >= 0, got ${String(value)}`);
  }
}

/** Fails unless `value` is a boolean. */
export function checkBoolean(op: string, option: string, value: unknown, where = ''): void {
  if (typeof value !== 'boolean')
    fail(op, `${where}invalid ${option}: must be true or false, got ${String(value)}`);
}

/** A saved buffer as a fresh Float32Array of `size` elements, or an error naming it. */
export function loadBuffer(entry: ParamStateEntry, key: string, size: number, where: string): Float32Array {
  const value = entry[key];
  if (!(value instanceof Float32Array) && !Array.isArray(value)) {
    fail(where, `${key} must be a Float32Array or an array of numbers`);
  }
  if (value.length !== size) fail(where, `${key} has ${value.length} elements, the parameter has ${size}`);
  return Float32Array.from(value);
}

/** A saved step count, or an error naming it. */
export function loadStep(entry: ParamStateEntry, where: string): number {
  const step = entry.step;
  if (typeof step !== 'number' || !Number.isInteger(step) || step < 0) {
    fail(where, `step must be an integer >= 0, got ${String(step)}`);
  }
  return step;
}
