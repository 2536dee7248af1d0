/** Training parts that need Node: checkpoints on disk, SIGINT/SIGTERM handling and the JSONL metrics log. */
export {
  saveCheckpoint,
  loadCheckpoint,
  DirectoryCheckpoints,
  type SaveCheckpointOptions,
} from './checkpoint-dir.js';
export { processSignals } from './signals.js';
export { jsonlLog } from './jsonl-log.js';
