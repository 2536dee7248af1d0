/**
 * tidy(fn): runs fn and, when it returns, hands the storage of the tensors fn created back for reuse, except
 * the storage its result holds.
 *
 * JavaScript frees an ArrayBuffer only when the garbage collector finds it dead, and a training step drops
 * hundreds of MiB of activations: every 64 MiB of new ArrayBuffer memory starts a collection, whose marking
 * threads then share the two cores with the matrix products. PyTorch frees a tensor when its last reference
 * goes; here the caller says when that is: everything fn made and did not return. The next step's ops take the
 * same sizes from the storage pool instead of allocating (about 5% of a Transformer classifier's step here).
 *
 * What is released: the float32 storage that ops allocated inside fn (outside any backward pass), less the
 * storage of the tensors found in the result (a tensor, or arrays and plain objects holding tensors). A tensor
 * that fn made and that is used after tidy returns (kept in a variable outside, stored in an object) was
 * released: any op given it fails with an error that says so (its storage's generation has moved on; see
 * storage.ts, whose checking mode also detaches the storage, so that even a raw `.data` array reads as empty).
 * Gradients that backward() stored in parameters' .grad, optimiser state and anything that existed before fn are
 * not released, with one exception: a gradient that zeroGrad() clears inside fn (the optimiser's or a tensor's)
 * goes with fn's storage, so that a training step hands last step's gradients back to the pool (for the
 * translation model, 56 MB per step that would otherwise wait for the collector). When the result still carries
 * an autograd graph (its backward has not run), nothing is released: that graph's saved tensors are storage fn
 * made, and backward() will read them.
 *
 * Nested tidy calls are allowed; what an inner one returns passes to the outer one.
 */
import { fail } from './errors.js';
import { closeStorageScope, openStorageScope } from './storage.js';
import { Tensor } from './tensor.js';

export function tidy<T>(fn: () => T): T {
  const { scope, result } = runInScope('tidy', fn);
  const keep = new Set<ArrayBufferLike>();
  const carriesGraph = collectStorage(result, keep, 0);
  closeStorageScope(scope, carriesGraph ? scope : keep);
  return result;
}

/**
 * Runs fn in a new storage scope and returns it open, for the caller to close. When fn throws, or returns a
 * Promise, the scope closes releasing nothing and the error goes on: tensors made before an error may be held by
 * whatever handles it, and an async fn goes on running after this returns, so its tensors cannot be released
 * now, nor safely later.
 */
function runInScope<T>(op: string, fn: () => T): { scope: Set<ArrayBufferLike>; result: T } {
  const scope = openStorageScope();
  let result: T;
  try {
    result = fn();
  } catch (err) {
    closeStorageScope(scope, scope);
    throw err;
  }
  if (isThenable(result)) {
    closeStorageScope(scope, scope);
    fail(op, 'fn must be synchronous: it returned a Promise (await inside the callback is not supported)');
  }
  return { scope, result };
}

/** Adds the storage of the tensors in `value` to `keep`; true when one of them has a graph not yet run. */
function collectStorage(value: unknown, keep: Set<ArrayBufferLike>, depth: number): boolean {
  if (value instanceof Tensor) {
    keep.add(value.data.buffer);
    if (value.grad) keep.add(value.grad.data.buffer);
    return value.gradFn !== null && value.gradFn.backward !== null;
  }
  if (depth > 8 || value === null || typeof value !== 'object') return false;
  let graph = false;
  if (Array.isArray(value)) {
    for (const item of value) graph = collectStorage(item, keep, depth + 1) || graph;
  } else if (value instanceof Map) {
    for (const item of value.values()) graph = collectStorage(item, keep, depth + 1) || graph;
  } else if (Object.getPrototypeOf(value) === Object.prototype) {
    for (const item of Object.values(value)) graph = collectStorage(item, keep, depth + 1) || graph;
  }
  return graph;
}

function isThenable(value: unknown): boolean {
  return (
    value !== null &&
    (typeof value === 'object' || typeof value === 'function') &&
    typeof (value as { then?: unknown }).then === 'function'
  );
}

/**
 * Scopes for a loop whose every step replaces what the last one returned: a decoder's state and the hypotheses
 * built so far. Each `step(fn)` runs fn in a storage scope, as tidy does, and also releases the storage that
 * earlier steps made and returned when this step's result no longer holds it (last step's key/value cache, once
 * the step has appended to or reordered it into a new one). Without the chain, every step's superseded state
 * would wait for the collector: about 2 MB per beam-4 step of a Transformer-base decoder, enough new external
 * memory to start a full collection every few decodes, whose marking threads then share the cores with the
 * products. Only storage made inside the chain's steps is ever released; what existed before (the encoder's
 * output, the stepper's own tensors, the parameters) is not.
 *
 * `finish(result)` ends the chain: the storage its steps made that `result` does not hold is released too. After
 * a step that throws, the chain releases nothing more (whatever handles the error may hold its tensors).
 */
export class TidyChain {
  /** Storage that earlier steps made and returned. */
  private owned = new Set<ArrayBufferLike>();
  private broken = false;

  step<T>(fn: () => T): T {
    let run: { scope: Set<ArrayBufferLike>; result: T };
    try {
      run = runInScope('TidyChain.step', fn);
    } catch (err) {
      this.broken = true;
      throw err;
    }
    const { scope, result } = run;
    const keep = new Set<ArrayBufferLike>();
    if (collectStorage(result, keep, 0) || this.broken) {
      // A result with an autograd graph keeps all it was made from (as tidy does), and so does a broken chain.
      for (const buffer of scope) this.owned.add(buffer);
      closeStorageScope(scope, scope);
      return result;
    }
    for (const buffer of this.owned) scope.add(buffer);
    this.owned = new Set([...scope].filter((buffer) => keep.has(buffer)));
    closeStorageScope(scope, keep);
    return result;
  }

  finish<T>(result: T): T {
    if (this.broken) return result;
    const keep = new Set<ArrayBufferLike>();
    if (collectStorage(result, keep, 0)) return result;
    const scope = openStorageScope();
    for (const buffer of this.owned) scope.add(buffer);
    this.owned = new Set();
    closeStorageScope(scope, keep);
    return result;
  }
}
