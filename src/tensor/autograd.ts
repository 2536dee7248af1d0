/**
 * Reverse-mode automatic differentiation. Every op that produces a tensor from inputs that require gradients
 * attaches a GradFn: the inputs and a closure that turns the gradient of the output into gradients of the
 * inputs. `backward` walks that graph once in reverse topological order, accumulates into the leaves' `.grad`,
 * and releases the graph (the closures and what they captured) as it goes.
 */
import { checkFiniteGradient } from './debug.js';
import { AttnError } from './errors.js';
import { GradientBuffers } from './gradient-buffers.js';
import { formatShape, shapesEqual } from './shape.js';
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

/**
 * Propagates `grad` (the gradient of some scalar with respect to `root`) to every leaf that requires it: in
 * reverse topological order, each tensor's gradient goes through its op's backward rule, and what comes out is
 * added to its inputs' gradients (a tensor used twice gets the sum). Where gradients are stored (adopted,
 * summed in place, recycled) is GradientBuffers' policy.
 */
export function runBackward(root: Tensor, grad: Tensor, accumulate: (a: Tensor, b: Tensor) => Tensor): void {
  checkBackwardRoot(root);
  const order = topologicalOrder(root);
  const grads = new Map<Tensor, Tensor>([[root, grad]]);
  const buffers = new GradientBuffers(grad, accumulate);
  buffers.track(() =>
    noGrad(() => {
      for (const tensor of order) {
        const g = grads.get(tensor);
        grads.delete(tensor);
        if (!g) continue;
        buffers.passOn(g);
        const fn = tensor.gradFn;
        if (fn === null) {
          buffers.storeLeafGrad(tensor, g);
          continue;
        }
        const inputGrads = backwardOf(fn, g);
        fn.inputs.forEach((input, i) => {
          const ig = inputGrads[i];
          if (!ig || !input.requiresGrad) return;
          checkInputGrad(fn, input, ig);
          buffers.handOut(ig);
          const previous = grads.get(input);
          grads.set(input, previous ? buffers.sum(previous, ig) : ig);
        });
        buffers.backwardDone(g, fn.releasesGrad === true);
        // Release the closure and what it captured as soon as it has run (a graph goes through backward once).
        fn.backward = null;
        fn.inputs = [];
      }
    }),
  );
}

function checkBackwardRoot(root: Tensor): void {
  if (!root.requiresGrad) {
    throw new AttnError('backward', 'the tensor does not require gradients (no input had requiresGrad set)');
  }
  if (root.gradFn && root.gradFn.backward === null) {
    throw new AttnError(
      'backward',
      'the graph has already been released by an earlier backward(); run the forward pass again',
    );
  }
}

function backwardOf(fn: GradFn, g: Tensor): readonly (Tensor | null)[] {
  if (fn.backward === null) {
    throw new AttnError('backward', `the graph through ${fn.name} has already been released`);
  }
  return fn.backward(g);
}

function checkInputGrad(fn: GradFn, input: Tensor, ig: Tensor): void {
  if (!shapesEqual(ig.shape, input.shape)) {
    throw new AttnError(
      fn.name,
      `backward produced a gradient of shape ${formatShape(ig.shape)} for an input of shape ${formatShape(input.shape)}`,
    );
  }
  checkFiniteGradient(fn.name, ig);
}
