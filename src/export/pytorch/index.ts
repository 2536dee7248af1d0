/** The PyTorch export (Node only): model.py, weights, config, tokenizers and a DDP training script. */
export { exportPyTorch, PYTORCH_EXPORT_FILES } from './export.js';
