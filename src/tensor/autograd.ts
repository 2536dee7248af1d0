/**
 * Reverse-mode automatic differentiation. Every op that produces a tensor from inputs that require gradients
 * attaches a GradFn: the inputs and a closure that turns the gradient of the output into gradients of the
 * inputs. `backward` walks that graph once in reverse topological order, accumulates into the leaves' `.grad`,
 * and releases the graph (the closures and what they captured) as it goes.
 */
import { getBackend } from '../backend/registry.js';
import { checkFiniteGradient } from './debug.js';
import { AttnError } from './errors.js';
import { formatShape, shapesEqual, stridesOf } from './shape.js';
import { markGradStorage, recycle, trackBirths } from './storage.js';
import type { Tensor } from './tensor.js';

export type BackwardFn = (grad: Tensor) => readonly (Tensor | null)[];

export interface GradFn {
  /** The op that created the tensor, for error messages and debugging. */
  readonly name: string;
  inputs: readonly Tensor[];
  /** null once the graph has been released by a backward pass. */
  backward: BackwardFn | null;
  /**
   * The closure is done with its gradient argument when it returns (it keeps no reference to it, though what it
   * returns may share its storage), so the engine may recycle that storage. Unset (false) for a closure that
   * stores the gradient for later, as a multi-output op's outputs do, and for any GradFn made outside the ops.
   */
  releasesGrad?: boolean;
}

let gradEnabled = true;

export function isGradEnabled(): boolean {
  return gradEnabled;
}

/** Runs fn without recording a graph: results do not require gradients (as torch.no_grad). */
export function noGrad<T>(fn: () => T): T {
  const previous = gradEnabled;
  gradEnabled = false;
  try {
    return fn();
  } finally {
    gradEnabled = previous;
  }
}

/** Orders the graph above `root` so that every tensor comes after all tensors computed from it. */
function topologicalOrder(root: Tensor): Tensor[] {
  const order: Tensor[] = [];
  const visited = new Set<Tensor>();
  // Iterative depth-first search: recurrent models build graphs far deeper than the call stack.
  const stack: { tensor: Tensor; next: number }[] = [{ tensor: root, next: 0 }];
  visited.add(root);
  while (stack.length > 0) {
    const frame = stack[stack.length - 1]!;
    const inputs = frame.tensor.gradFn?.inputs ?? [];
    if (frame.next < inputs.length) {
      const input = inputs[frame.next++]!;
      if (input.requiresGrad && !visited.has(input)) {
        visited.add(input);
        stack.push({ tensor: input, next: 0 });
      }
    } else {
      order.push(frame.tensor);
      stack.pop();
    }
  }
  return order.reverse();
}

/** Propagates `grad` (the gradient of some scalar with respect to `root`) to every leaf that requires it. */
export function runBackward(root: Tensor, grad: Tensor, accumulate: (a: Tensor, b: Tensor) => Tensor): void {
  if (!root.requiresGrad) {
    throw new AttnError('backward', 'the tensor does not require gradients (no input had requiresGrad set)');
  }
  if (root.gradFn && root.gradFn.backward === null) {
    throw new AttnError(
      'backward',
      'the graph has already been released by an earlier backward(); run the forward pass again',
    );
  }
  const order = topologicalOrder(root);
  const grads = new Map<Tensor, Tensor>([[root, grad]]);
  // How many times each gradient buffer has been handed on in this pass. A leaf whose gradient buffer went out
  // exactly once (a fresh result of some backward, seen by nothing else) takes it as its .grad; any other is
  // copied. The caller's upstream buffer never counts as ours. Keyed by the ArrayBuffer, so that views of one
  // buffer (a reshape of g, slices) count as the same buffer.
  const handedOut = new Map<ArrayBufferLike, number>([[grad.data.buffer, Infinity]]);
  // Gradients still waiting for a consumer, per buffer (views counted apart). A buffer made in this pass (born)
  // whose count falls to 0 is dead: every backward that received it has returned, it went into a sum or a
  // leaf's copy, and no leaf adopted it; it goes back to storage for the next allocation of its size.
  const pending = new Map<ArrayBufferLike, number>();
  const born = new Set<ArrayBufferLike>();
  const handOut = (t: Tensor): void => {
    const b = t.data.buffer;
    handedOut.set(b, (handedOut.get(b) ?? 0) + 1);
    pending.set(b, (pending.get(b) ?? 0) + 1);
  };
  const consumed = (t: Tensor): void => {
    const b = t.data.buffer;
    const left = (pending.get(b) ?? 0) - 1;
    pending.set(b, left);
    if (left !== 0 || !born.delete(b)) return;
    handedOut.delete(b);
    pending.delete(b);
    recycle(b);
  };
  const ownsWhole = (leaf: Tensor, g: Tensor): boolean =>
    handedOut.get(g.data.buffer) === 1 &&
    g.data.byteOffset === 0 &&
    g.data.byteLength === g.data.buffer.byteLength &&
    g.data.buffer !== leaf.data.buffer &&
    g.dtype === leaf.dtype &&
    g.gradFn === null;
  // Sums made here belong to the engine alone, so the next contribution can be added into them in place: a
  // tensor used at every step of a recurrence (a weight, the encoder outputs) then costs one buffer, not one
  // per step. The first contribution is never written to (a backward may hand the same tensor to two inputs).
  const owned = new Set<Tensor>();
  const sum = (previous: Tensor, next: Tensor): Tensor => {
    if (
      owned.has(previous) &&
      previous.dtype === 'float32' &&
      next.dtype === 'float32' &&
      previous.data !== next.data &&
      shapesEqual(previous.shape, next.shape)
    ) {
      const strides = stridesOf(previous.shape);
      const p = previous.data as Float32Array;
      getBackend().binary({
        op: 'add',
        a: p,
        aStrides: strides,
        b: next.data as Float32Array,
        bStrides: strides,
        out: p,
        shape: previous.shape,
      });
      consumed(next);
      return previous;
    }
    const result = accumulate(previous, next);
    owned.add(result);
    handOut(result);
    consumed(previous);
    consumed(next);
    return result;
  };
  const previousBirths = trackBirths(born);
  try {
    noGrad(() => {
      for (const tensor of order) {
        const g = grads.get(tensor);
        grads.delete(tensor);
        // Handed on now (a backward may pass it through as an input's gradient): no longer written in place.
        if (g) owned.delete(g);
        const fn = tensor.gradFn;
        if (fn === null) {
          // .grad must own its storage: a first gradient is copied unless this pass made it and handed it here
          // alone (g may be the caller's upstream tensor, or the very tensor handed to another leaf: add passes g
          // through to both operands). Adopting saves a copy of every parameter's gradient per training step.
          if (!g) continue;
          if (!tensor.grad && ownsWhole(tensor, g)) {
            tensor.grad = g;
            born.delete(g.data.buffer);
            markGradStorage(g.data.buffer);
            continue;
          }
          tensor.grad = tensor.grad ? accumulate(tensor.grad, g) : g.clone();
          markGradStorage(tensor.grad.data.buffer);
          consumed(g);
          continue;
        }
        if (!g) continue;
        if (fn.backward === null) {
          throw new AttnError('backward', `the graph through ${fn.name} has already been released`);
        }
        const inputGrads = fn.backward(g);
        fn.inputs.forEach((input, i) => {
          const ig = inputGrads[i];
          if (!ig || !input.requiresGrad) return;
          if (!shapesEqual(ig.shape, input.shape)) {
            throw new AttnError(
              fn.name,
              `backward produced a gradient of shape ${formatShape(ig.shape)} for an input of shape ${formatShape(input.shape)}`,
            );
          }
          checkFiniteGradient(fn.name, ig);
          handOut(ig);
          const previous = grads.get(input);
          grads.set(input, previous ? sum(previous, ig) : ig);
        });
        if (fn.releasesGrad === true) consumed(g);
        else born.delete(g.data.buffer);
        fn.backward = null;
        fn.inputs = [];
      }
    });
  } finally {
    trackBirths(previousBirths);
  }
}
