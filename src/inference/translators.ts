/**
 * The translation models as the trainer's `TranslationTask` and the predictor use them: the RNN and Transformer
 * seq2seq models with one loss signature, `loss(src, srcPadding, tgtIn, tgtOut)`, whose label smoothing is a
 * property (a training setting, not part of the model's configuration), and one `stepper(src, srcPadding)`.
 * Subclasses rather than wrappers, so that parameter names stay those of the models (the checkpoint's
 * model.safetensors loads into the plain model too).
 */
import { BahdanauSeq2Seq } from '../models/seq2seq/bahdanau-seq2seq.js';
import { LuongSeq2Seq } from '../models/seq2seq/luong-seq2seq.js';
import type {
  RNNSeq2SeqLoss,
  RNNSeq2SeqLossOptions,
  RNNSourcePadding,
} from '../models/seq2seq/rnn-seq2seq.js';
import { TransformerSeq2Seq } from '../models/transformer-seq2seq/model.js';
import type {
  TransformerSeq2SeqStepper,
  TransformerStepperOptions,
} from '../models/transformer-seq2seq/stepper.js';
import type { Module } from '../nn/module.js';
import { crossEntropy, reshape } from '../tensor/ops/index.js';
import { Tensor } from '../tensor/tensor.js';
import type { TranslationModel } from '../train/translation-task.js';

/** What every translation model offers the task and the predictor. */
export interface Translator extends Module, TranslationModel {
  /** Label smoothing ε of the training loss (default 0). */
  labelSmoothing: number;
}

export class BahdanauTranslator extends BahdanauSeq2Seq implements Translator {
  labelSmoothing = 0;

  override loss(
    src: Tensor,
    srcPadding: RNNSourcePadding,
    tgtIn: Tensor,
    tgtOut: Tensor,
    options: RNNSeq2SeqLossOptions = {},
  ): RNNSeq2SeqLoss {
    return super.loss(src, srcPadding, tgtIn, tgtOut, { labelSmoothing: this.labelSmoothing, ...options });
  }
}

export class LuongTranslator extends LuongSeq2Seq implements Translator {
  labelSmoothing = 0;

  override loss(
    src: Tensor,
    srcPadding: RNNSourcePadding,
    tgtIn: Tensor,
    tgtOut: Tensor,
    options: RNNSeq2SeqLossOptions = {},
  ): RNNSeq2SeqLoss {
    return super.loss(src, srcPadding, tgtIn, tgtOut, { labelSmoothing: this.labelSmoothing, ...options });
  }
}

/**
 * TransformerSeq2Seq with the task's loss. The Transformer reads padding from the pad id in `src`, so the
 * padding argument is accepted and ignored (batches pad with the same id).
 */
export class TransformerTranslator extends TransformerSeq2Seq implements Translator {
  labelSmoothing = 0;

  loss(src: Tensor, _srcPadding: unknown, tgtIn: Tensor, tgtOut: Tensor): { loss: Tensor; logits: Tensor } {
    const logits = this.forward(src, tgtIn);
    const [batch, steps, vocab] = logits.shape as [number, number, number];
    const loss = crossEntropy(reshape(logits, [batch * steps, vocab]), reshape(tgtOut, [batch * steps]), {
      ignoreIndex: this.padId,
      labelSmoothing: this.labelSmoothing,
    });
    return { loss, logits };
  }

  /** A stepper over `src`; a padding tensor in the second place (the task's call) is ignored, as in loss(). */
  override stepper(src: Tensor, options?: TransformerStepperOptions | Tensor): TransformerSeq2SeqStepper {
    return super.stepper(src, options instanceof Tensor ? {} : options);
  }
}
