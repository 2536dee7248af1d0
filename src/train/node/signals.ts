/**
 * SIGINT (Ctrl-C) and SIGTERM handling for training runs (Node). Pass `processSignals` as the Trainer's
 * `signals` option: while fit() runs, the first signal asks the trainer to stop after the step under way and
 * write a checkpoint; fit() then resolves with status 'interrupted', and the process exits normally (code 0)
 * unless the caller chooses otherwise (a command line may prefer 130, as shells expect after Ctrl-C). A second signal while stopping exits at once with 128 + the signal number (130, 143): checkpoints
 * are written so that this loses at most the checkpoint being written, never the previous one. The handlers are
 * installed when fit() starts and removed when it returns, so outside training Ctrl-C behaves as usual.
 */
import { constants } from 'node:os';
import type { SignalInstaller } from '../trainer.js';

const SIGNALS = ['SIGINT', 'SIGTERM'] as const;

export const processSignals: SignalInstaller = (stop) => {
  let received = 0;
  const handler = (signal: NodeJS.Signals): void => {
    received++;
    if (received > 1) process.exit(128 + (constants.signals[signal] ?? 0));
    stop(signal);
  };
  for (const signal of SIGNALS) process.on(signal, handler);
  return () => {
    for (const signal of SIGNALS) process.off(signal, handler);
  };
};
