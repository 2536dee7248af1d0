/**
 * Ops with several outputs (a fused recurrence gives every step's state, the attention weights and the final
 * state) in an engine whose nodes have one output each: the outputs hang off a scalar anchor node whose inputs
 * are the op's inputs, as in unbind. An output's backward only keeps its gradient and hands the anchor a scalar
 * zero; the anchor comes before every output in the graph, so the engine runs it after all of them, and it
 * computes the inputs' gradients from the kept ones (null for an output the loss never reached).
 */
import { Tensor } from '../tensor.js';
import { record } from './common.js';

export function recordOutputs(
  op: string,
  outputs: readonly Tensor[],
  inputs: readonly Tensor[],
  backward: (grads: readonly (Tensor | null)[]) => readonly (Tensor | null)[],
): Tensor[] {
  const grads: (Tensor | null)[] = outputs.map(() => null);
  const anchor = record(op, new Tensor(new Float32Array(1), []), inputs, () => backward(grads));
  const zero = new Tensor(new Float32Array(1), []);
  return outputs.map((out, i) =>
    record(
      op,
      out,
      [anchor],
      (g) => {
        grads[i] = g;
        return [zero];
      },
      false, // g is kept for the anchor: its storage must outlive this closure
    ),
  );
}
