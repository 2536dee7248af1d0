/**
 * AdamW (Loshchilov & Hutter, 2019), as PyTorch 1.13's single-tensor `torch.optim.AdamW`: Adam (see adam.ts)
 * with the weight decay decoupled from the gradient. Before the Adam update of each step,
 *
 * ```
 * p ← p · (1 − lr · weightDecay)
 * ```
 *
 * and the gradient itself is left as it is. The default weightDecay is 1e-2.
 */
import { AdamBase, type AdamOptions } from './adam.js';
import type { ParamsInput } from './optimizer.js';

export class AdamW extends AdamBase {
  constructor(params: ParamsInput<AdamOptions>, options: Partial<AdamOptions> = {}) {
    super('AdamW', params, options, 1e-2, true);
  }
}
