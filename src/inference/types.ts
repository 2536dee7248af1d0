/**
 * What a trained model offers once loaded for use: the contract between a checkpoint and its users (`attn
 * translate`, `attn classify`, `attn attention`, `attn serve` and its web page). Plain JSON-able data only, so
 * that results cross a worker-thread boundary or an HTTP response unchanged.
 */

import type { Architecture, TaskKind } from '../models/registry.js';

export type { Architecture, TaskKind };

/** Which hypotheses of a translation carry their attention weights. */
export type AttentionChoice = 'all' | 'best' | 'none';

export const ATTENTION_CHOICES: readonly AttentionChoice[] = ['all', 'best', 'none'];

/** The highest sampling temperature accepted (beyond it every distribution is practically uniform). */
export const MAX_TEMPERATURE = 100;

export interface TranslateOptions {
  /** 1 (the default) decodes greedily; more runs beam search with that many hypotheses. */
  beamSize?: number;
  /**
   * Draw each token instead of searching (sampleDecode): from softmax(logits / temperature), among the topK most
   * probable tokens, then within the topP nucleus. Not with beamSize > 1 or nBest > 1.
   */
  sample?: boolean;
  /** With sample: > 0, default 1 (lower is closer to greedy). */
  temperature?: number;
  /** With sample: keep the k most probable tokens (default 0: all). */
  topK?: number;
  /** With sample: keep the most probable tokens whose mass reaches p, in (0, 1] (default 1: all); after topK. */
  topP?: number;
  /** With sample: the seed of the draws (a non-negative safe integer); the same seed gives the same output. */
  seed?: number;
  /** Most target tokens to generate (EOS not counted). */
  maxLength?: number;
  /** With beam search: how many of the best hypotheses to return (default 1, at most beamSize). */
  nBest?: number;
  /**
   * Which hypotheses carry their attention weights: 'all' (the default), 'best' (the first) or 'none'. The others
   * get `{ layers: [] }`, and their weights are never turned into arrays (beams × steps × source tokens numbers
   * per layer and head, the bulk of a result).
   */
  attention?: AttentionChoice;
}

/**
 * Attention weights of one output: `layers[l][h][t][s]` is the weight target step t gave source token s in layer
 * l, head h. RNN decoders have one layer and one head; Transformers give their cross-attention per layer and head.
 */
export interface AttentionWeights {
  layers: number[][][][];
}

export interface TranslationHypothesis {
  /** Output tokens, without <sos> and <eos>. */
  tokens: string[];
  /** The tokens joined back into text (detokenised). */
  text: string;
  /** Sum of the log-probabilities of the tokens (and of <eos> when the hypothesis ended there). */
  logProb: number;
  /** The score the search ranked by (length-normalised with beam search). */
  score: number;
  /**
   * Rows follow `tokens` (plus a last row for <eos> when present); columns follow the result's sourceTokens.
   * `{ layers: [] }` when TranslateOptions.attention left this hypothesis out.
   */
  attention: AttentionWeights;
}

export interface TranslationResult {
  /** The source as the model saw it: its tokens after normalisation, <eos> included when the model appends it. */
  sourceTokens: string[];
  /** Best first; one unless nBest asked for more. */
  hypotheses: TranslationHypothesis[];
}

export interface ClassificationResult {
  /** The input's tokens as the model saw them. */
  tokens: string[];
  /** The winning label. */
  label: string;
  /** All labels, in the model's order. */
  labels: string[];
  /** Probability of each label (softmax of the logits), in the order of `labels`. */
  probabilities: number[];
  /** The attention-pooling weight of each token (sums to 1 over the tokens), in the order of `tokens`. */
  weights: number[];
}

export interface PredictorInfo {
  task: TaskKind;
  architecture: Architecture;
  /** Model hyper-parameters as saved in the checkpoint's config. */
  config: Record<string, unknown>;
  /** Number of trainable parameters. */
  parameters: number;
  /** For Transformers: layers and heads of the attention returned (1 and 1 for RNN models). */
  attentionLayers: number;
  attentionHeads: number;
}

/** A loaded model. Calls are synchronous and CPU-bound: run them in a worker thread to keep a server responsive. */
export interface Predictor {
  readonly info: PredictorInfo;
  /** Throws for a classification model. */
  translate(text: string, options?: TranslateOptions): TranslationResult;
  /** Throws for a translation model. */
  classify(text: string): ClassificationResult;
}
