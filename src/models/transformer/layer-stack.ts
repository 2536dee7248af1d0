/**
 * What TransformerEncoder and TransformerDecoder share: `numLayers` layers, each one's output feeding the next,
 * registered as `layers` (so that parameters read `layers.0.self_attn.in_proj_weight`, as torch's), and an
 * optional final LayerNorm registered as `norm`.
 */
import type { LayerNorm } from '../../nn/layer-norm.js';
import { Module } from '../../nn/module.js';
import { fail } from '../../tensor/errors.js';
import type { Tensor } from '../../tensor/tensor.js';
import { finalNorm } from './common.js';
import { LayerList } from './layer-list.js';

export abstract class LayerStack<
  L extends Module & { dModel: number; layerNormEps: number },
  O extends object,
> extends Module {
  readonly layers: readonly L[];
  readonly norm: LayerNorm | null;
  readonly numLayers: number;

  /**
   * @param kind the layers' class: every layer must be a distinct instance of it
   * @param layer the options of every layer (each built as `new kind(layer)`), or a factory called with each
   *   index 0 … numLayers − 1
   * @param norm the final norm: true builds LayerNorm(dModel) with the layers' eps; false or null means none
   */
  protected constructor(
    op: string,
    kind: new (options: O) => L,
    layer: O | ((index: number) => L),
    numLayers: number,
    norm: LayerNorm | boolean | null | undefined,
  ) {
    super();
    const make = typeof layer === 'function' ? layer : () => new kind(layer);
    const layers = stackLayers(op, kind, make, numLayers);
    this.layers = layers;
    this.numLayers = numLayers;
    this.registerModule('layers', new LayerList(layers));
    this.norm = finalNorm(op, norm, layers[0]!);
    if (this.norm) this.registerModule('norm', this.norm);
  }

  /** The stack's output from the last layer's: through the final norm when there is one. */
  protected finalOutput(x: Tensor): Tensor {
    return this.norm ? this.norm.forward(x) : x;
  }
}

/**
 * The layers of a stack: `numLayers` (a positive integer) layers made by `make(index)`, each a distinct
 * instance of `kind` with the same dModel as layer 0, so that every layer's output can feed the next.
 */
function stackLayers<L extends { dModel: number }>(
  op: string,
  kind: abstract new (...args: never[]) => L,
  make: (index: number) => L,
  numLayers: number,
): L[] {
  if (!Number.isInteger(numLayers) || numLayers <= 0)
    fail(op, `numLayers must be a positive integer, got ${numLayers}`);
  const layers: L[] = [];
  for (let i = 0; i < numLayers; i++) {
    const made = make(i);
    if (!(made instanceof kind))
      fail(op, `the layer factory must return a ${kind.name}, got ${String(made)} for layer ${i}`);
    if (i > 0 && made.dModel !== layers[0]!.dModel)
      fail(
        op,
        `every layer must have the same dModel: layer 0 has ${layers[0]!.dModel}, layer ${i} ${made.dModel}`,
      );
    if (layers.includes(made)) fail(op, `the layer factory returned the same layer twice (layer ${i})`);
    layers.push(made);
  }
  return layers;
}
