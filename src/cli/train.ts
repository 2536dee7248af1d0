/** `attn train`: trains a translation or classification model from a data file or a built-in task. */
import { stat } from 'node:fs/promises';
import { checkpointConfig, checkpointTokenizers } from '../inference/from-checkpoint.js';
import { fail } from '../tensor/errors.js';
import { DirectoryCheckpoints, loadCheckpoint } from '../train/node/checkpoint-dir.js';
import { CHECKPOINT_FILES } from '../train/checkpoint-codec.js';
import { HELP_OPTION, optionHelp, parseOptions, stringValue, type OptionValues } from './options.js';
import { architectureHelp, MODEL_OPTIONS } from './model-options.js';
import { LOG_FILE, runTraining, type RunOutcome } from './run-training.js';
import {
  DATA_OPTIONS,
  mergeConfigFile,
  OPTIM_OPTIONS,
  resolveTrainSettings,
  RUN_OPTIONS,
  settingsConflicts,
  TRAIN_OPTIONS,
} from './train-settings.js';
import { UsageError } from './usage.js';

const HELP = `Usage: attn train --out DIR (--data FILE | --builtin date|reversal) [options]

Trains a model and writes its checkpoints and a JSONL log (${LOG_FILE}) into DIR. When DIR already holds a
run, training resumes from its latest checkpoint with the run's saved settings (only --epochs, --max-steps and
--time-budget may change). Ctrl-C stops after the current step and writes a checkpoint (exit code 130).

Data: translation reads tab-separated pairs (source<TAB>target[<TAB>anything], the Tatoeba/Anki format);
classification reads TSV or CSV with a text and a label column (a header line is detected). Malformed lines
stop the run with file:line, unless --skip-malformed.

Run:
${optionHelp(RUN_OPTIONS)}

Data:
${optionHelp(DATA_OPTIONS)}

Model (each option applies to the architectures named):
${optionHelp(MODEL_OPTIONS)}

Architectures (each one's options: flag, config key and default, meaning):
${architectureHelp()}

Training:
${optionHelp([...OPTIM_OPTIONS, HELP_OPTION])}

Example:
  attn train --builtin date --arch gru-bahdanau --hidden-size 64 --embedding-dim 32 --lr 0.003 \\
    --max-steps 800 --eval-every 200 --out runs/date
`;

/** The option values given now that may be laid over a saved run's. */
function given(values: OptionValues): OptionValues {
  const out: OptionValues = {};
  for (const [k, v] of Object.entries(values))
    if (v !== undefined && k !== 'config' && k !== 'out') out[k] = v;
  return out;
}

function note(message: string): void {
  process.stderr.write(`attn train: ${message}\n`);
}

export function formatMetrics(metrics: Record<string, number>): string {
  return Object.entries(metrics)
    .map(([k, v]) => `${k} ${Number.isInteger(v) ? v : v.toFixed(4)}`)
    .join('  ');
}

/** The summary a run ends with, on stdout. */
export function summary(outcome: RunOutcome, architecture: string): string {
  const { result } = outcome;
  const why = outcome.stopReason ? ` (${outcome.stopReason})` : '';
  return (
    `${architecture}: ${result.status}${why} at step ${result.step}, ${result.epoch} epochs done\n` +
    `dev: ${formatMetrics(outcome.metrics)}\n` +
    (result.checkpoint ? `checkpoint: ${result.checkpoint}\n` : '')
  );
}

export async function runTrain(args: readonly string[]): Promise<number> {
  const { values } = parseOptions(args, TRAIN_OPTIONS);
  if (values.help) {
    process.stdout.write(HELP);
    return 0;
  }
  const merged = await mergeConfigFile(values);
  const out = stringValue(merged, 'out');
  if (out === undefined) throw new UsageError('--out DIR is required: where the checkpoints and the log go');
  try {
    if (!(await stat(out)).isDirectory()) throw new UsageError(`--out ${out} is a file, not a directory`);
  } catch (err) {
    if ((err as { code?: string }).code !== 'ENOENT') throw err;
  }

  let settings;
  let resume;
  let options = merged;
  if (await new DirectoryCheckpoints(out).exists()) {
    const snapshot = await loadCheckpoint(out);
    const config = checkpointConfig(snapshot);
    const saved = config.training?.options;
    if (typeof saved !== 'object' || saved === null || Array.isArray(saved)) {
      fail(
        'attn train',
        `${snapshot.source}/${CHECKPOINT_FILES.config} has no training options to resume with`,
      );
    }
    const savedOptions = saved as OptionValues;
    options = { ...savedOptions, ...given(merged) };
    settings = resolveTrainSettings(options);
    const conflicts = settingsConflicts(settings, resolveTrainSettings(savedOptions));
    if (conflicts.length > 0) {
      throw new UsageError(
        `${out} holds a run with other settings: ${conflicts.join('; ')}. A resumed run keeps its settings ` +
          '(only --epochs, --max-steps and --time-budget may change); give another --out to start a new run',
      );
    }
    const tokenizers = checkpointTokenizers(snapshot, config);
    resume = { snapshot, vocabulary: { tokenizers, labels: config.labels } };
    note(`resuming the run in ${out} at step ${snapshot.trainer.step}`);
  } else {
    settings = resolveTrainSettings(merged);
  }
  const outcome = await runTraining(settings, {
    out,
    options,
    resume,
    progress: merged.quiet !== true,
    note,
  });
  process.stdout.write(summary(outcome, settings.architecture));
  const reason = outcome.result.stopReason;
  if (reason === 'SIGINT') return 130;
  if (reason === 'SIGTERM') return 143;
  return 0;
}
