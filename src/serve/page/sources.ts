/**
 * Where the page's model runs: on the server (`attn serve`, through its JSON API) or in this tab (a checkpoint
 * loaded into the page, or the date model trained here, on attn/browser's WebAssembly backend). The page asks
 * either the same questions and draws the answers the same way.
 */
import type {
  ClassificationResult,
  Predictor,
  PredictorInfo,
  TranslateOptions,
  TranslationResult,
} from '../../inference/types.js';
import { DEFAULT_LIMITS } from '../limits.js';
import * as api from './api.js';

export type TranslateBody = { text: string } & Pick<
  TranslateOptions,
  'beamSize' | 'nBest' | 'sample' | 'temperature' | 'topK' | 'topP' | 'seed'
>;

export interface ModelSource {
  /** Shown beside the model's description: "on the server" or where the tab's model came from. */
  readonly where: string;
  info(): Promise<PredictorInfo>;
  limits(): Promise<{ maxChars: number; maxBeamSize: number }>;
  translate(body: TranslateBody): Promise<TranslationResult>;
  classify(text: string): Promise<ClassificationResult>;
}

export const serverSource: ModelSource = {
  where: 'on the server',
  info: api.getInfo,
  limits: api.getLimits,
  translate: api.translate,
  classify: api.classify,
};

/**
 * A predictor in this tab, answering as the server would. The server's default limits apply, so that a
 * sentence the page accepts is one `attn serve` would accept too.
 */
export function tabSource(predictor: Predictor, where: string): ModelSource {
  const { maxChars, maxBeamSize } = DEFAULT_LIMITS;
  return {
    where,
    info: async () => predictor.info,
    limits: async () => ({ maxChars, maxBeamSize }),
    translate: async ({ text, ...options }) => predictor.translate(text, options),
    classify: async (text) => predictor.classify(text),
  };
}
