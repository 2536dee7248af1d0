import { Module } from '../../nn/module.js';
import type { Tensor } from '../../tensor/tensor.js';

/**
 * An indexed list of modules, named `0`, `1`, … as torch.nn.ModuleList names them, so that a stack registered
 * as `layers` has parameters `layers.0.self_attn.in_proj_weight` and so on. Module's own registry takes only
 * identifier names, so this list walks its items itself.
 */
export class LayerList<M extends Module> extends Module {
  constructor(readonly items: readonly M[]) {
    super();
  }

  override namedParameters(prefix = ''): [string, Tensor][] {
    return this.items.flatMap((m, i) => m.namedParameters(`${prefix}${i}.`));
  }

  override namedModules(prefix = ''): [string, Module][] {
    return [
      [prefix.replace(/\.$/, ''), this],
      ...this.items.flatMap((m, i) => m.namedModules(`${prefix}${i}.`)),
    ];
  }
}
