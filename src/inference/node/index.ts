/** Inference parts that need Node: loading a predictor from a checkpoint directory. */
export { loadPredictor } from './load-predictor.js';
