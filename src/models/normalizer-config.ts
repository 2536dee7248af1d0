/**
 * The attention normaliser as a hyper-parameter, shared by the architectures whose attention takes one (the RNN
 * translation models' decoder attention, the classifiers' attention pooling): `normalizer` and the α of 'entmax'
 * (see attention/normalizers.ts). `attn train --normalizer NAME --entmax-alpha A` sets them.
 */
import { choice, float } from './config.js';

export const NORMALIZER_CONFIG = {
  normalizer: choice('softmax', ['softmax', 'sparsemax', 'entmax15', 'entmax'], 'attention normaliser'),
  entmaxAlpha: float(1.5, 1.001, 10, 'α of --normalizer entmax (α-entmax: 2 is sparsemax, → 1 softmax)'),
};

/** α is the entmax normaliser's alone: another value with another normaliser is a mistake, not a no-op. */
export function checkNormalizerConfig(config: { normalizer: string; entmaxAlpha: number }): string | null {
  return config.entmaxAlpha !== NORMALIZER_CONFIG.entmaxAlpha.default && config.normalizer !== 'entmax'
    ? `entmaxAlpha applies to normalizer entmax only, got entmaxAlpha ${config.entmaxAlpha} with ${config.normalizer}`
    : null;
}
