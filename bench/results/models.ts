/**
 * The five runs of docs/results.md, one per architecture of `attn train`: each model's data and the `attn train` options that fix its sizes and
 * training settings. PyTorch (bench/torch_train.py) reads the same settings back from the attn run's checkpoint
 * (config.json), so this table is the only place they are written.
 */
import { existsSync } from 'node:fs';

/** The shared data directory (../shared/data from the project root), overridable for other checkouts. */
export const DATA_DIR =
  process.env.ATTN_DATA_DIR ?? new URL('../../../shared/data/', import.meta.url).pathname;

export interface ModelRun {
  /** Short name: the run's directory and the row in the tables. */
  name: string;
  task: 'translate' | 'classify';
  arch: 'gru-bahdanau' | 'gru-luong' | 'transformer' | 'bigru-attention' | 'transformer-cls';
  title: string;
  train: string;
  dev: string;
  /** Data options of `attn train` / `attn eval` besides --data and --dev (e.g. the source column). */
  dataOptions: string[];
  /** Translation: the column of the source sentence (as --source-column says). */
  sourceColumn?: 0 | 1;
  /** Model and optimiser options of `attn train`. */
  options: string[];
}

/** The shared data files of each split. */
export const tatoeba = (split: string) => `${DATA_DIR}tatoeba-fra-eng.${split}.tsv`;
export const sst2 = (split: string) => `${DATA_DIR}sst2.${split}.tsv`;

export const MODELS: readonly ModelRun[] = [
  {
    name: 'nmt-gru-bahdanau',
    task: 'translate',
    arch: 'gru-bahdanau',
    title: 'GRU encoder + Bahdanau decoder, French→English',
    train: tatoeba('train'),
    dev: tatoeba('dev'),
    // The files are English<TAB>French: the source is column 1.
    dataOptions: ['--source-column', '1'],
    sourceColumn: 1,
    options: [
      ...['--embedding-dim', '128', '--hidden-size', '256', '--dropout', '0.1'],
      ...['--batch-size', '64', '--optimizer', 'adam', '--lr', '0.001', '--clip', '1', '--seed', '0'],
    ],
  },
  {
    name: 'nmt-gru-luong',
    task: 'translate',
    arch: 'gru-luong',
    title: 'GRU encoder + Luong decoder (general score, input feeding), French→English',
    train: tatoeba('train'),
    dev: tatoeba('dev'),
    dataOptions: ['--source-column', '1'],
    sourceColumn: 1,
    options: [
      ...['--embedding-dim', '128', '--hidden-size', '256', '--dropout', '0.1', '--score', 'general'],
      ...['--batch-size', '64', '--optimizer', 'adam', '--lr', '0.001', '--clip', '1', '--seed', '0'],
    ],
  },
  {
    name: 'nmt-transformer',
    task: 'translate',
    arch: 'transformer',
    title: 'Transformer encoder–decoder, French→English',
    train: tatoeba('train'),
    dev: tatoeba('dev'),
    dataOptions: ['--source-column', '1'],
    sourceColumn: 1,
    options: [
      ...['--d-model', '128', '--heads', '4', '--layers', '2', '--ff-dim', '512', '--dropout', '0.1'],
      ...['--batch-size', '64', '--optimizer', 'adam', '--lr', '0.001', '--clip', '1', '--seed', '0'],
      // Linear warm-up over 200 updates, then constant: a short budget has no time for a decaying schedule.
      ...['--schedule', 'constant', '--warmup', '200'],
    ],
  },
  {
    name: 'sst2-bigru-attention',
    task: 'classify',
    arch: 'bigru-attention',
    title: 'BiGRU + attention pooling, SST-2',
    train: sst2('train'),
    dev: sst2('dev'),
    dataOptions: [],
    options: [
      ...['--embedding-dim', '128', '--hidden-size', '128', '--dropout', '0.3'],
      ...['--batch-size', '64', '--optimizer', 'adam', '--lr', '0.001', '--clip', '1', '--seed', '0'],
    ],
  },
  {
    name: 'sst2-transformer-cls',
    task: 'classify',
    arch: 'transformer-cls',
    title: 'Transformer encoder + attention pooling, SST-2',
    train: sst2('train'),
    dev: sst2('dev'),
    dataOptions: [],
    options: [
      ...['--d-model', '128', '--heads', '4', '--layers', '2', '--ff-dim', '512', '--dropout', '0.1'],
      ...['--batch-size', '64', '--optimizer', 'adam', '--lr', '0.0005', '--clip', '1', '--seed', '0'],
    ],
  },
];

/** The data files a run needs that are missing. */
export function missingData(run: ModelRun): string[] {
  return [run.train, run.dev].filter((f) => !existsSync(f));
}
