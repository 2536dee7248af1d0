/**
 * The `attn` command. Each subcommand lives in its own file and returns an exit code:
 * 0 success, 1 failure while running, 2 bad usage (unknown command or option).
 */
import { installDefaultBackend } from '../backend/native/select.js';
import { VERSION } from '../version.js';
import { runInfo } from './info.js';
import { EXIT_USAGE, UsageError } from './usage.js';

const HELP = `attn ${VERSION} — attention models in TypeScript

Usage: attn <command> [options]

Commands:
  demo        train the classic GRU + Bahdanau model on dates, show its attention (start here)
  train       train a translation or classification model (a data file or a built-in task)
  translate   translate text with a trained model (arguments or stdin lines)
  classify    classify text with a trained model (arguments or stdin lines)
  eval        metrics of a trained model on a data file (BLEU, chrF, chrF++, exact match; accuracy, macro-F1)
  attention   draw the attention of one input as a heatmap (PNG or SVG)
  plot        draw the training curves of a run (PNG or SVG)
  info        version, backend, threads and CPU features
  serve       the JSON API and web page over a checkpoint
  export      write a trained model for another runtime (ONNX)

Options:
  -h, --help     show help (also after a command: attn info --help)
  -v, --version  print the version

Exit codes: 0 success; 1 failure while running (unreadable or malformed data, a corrupt checkpoint, ...);
2 bad usage (unknown command or option, a value out of range); 130/143 training stopped by SIGINT/SIGTERM
(after writing a checkpoint).
`;

export async function main(argv: readonly string[]): Promise<number> {
  const [command, ...rest] = argv;
  try {
    if (command === undefined || command === '-h' || command === '--help' || command === 'help') {
      process.stdout.write(HELP);
      return command === undefined ? EXIT_USAGE : 0;
    }
    if (command === '-v' || command === '--version') {
      process.stdout.write(`${VERSION}\n`);
      return 0;
    }
    // Every command runs its kernels on the chosen backend (native when the addon loads, ATTN_BACKEND overrides).
    installDefaultBackend();
    switch (command) {
      case 'info':
        return await runInfo(rest);
      // The other commands load on demand, so that each starts without the others' imports.
      case 'demo':
        return await (await import('./demo.js')).runDemo(rest);
      case 'train':
        return await (await import('./train.js')).runTrain(rest);
      case 'translate':
        return await (await import('./predict.js')).runPredict('translate', rest);
      case 'classify':
        return await (await import('./predict.js')).runPredict('classify', rest);
      case 'eval':
        return await (await import('./eval.js')).runEval(rest);
      case 'attention':
        return await (await import('./attention.js')).runAttention(rest);
      case 'plot':
        return await (await import('./plot.js')).runPlot(rest);
      case 'serve':
        // Loaded on demand: the HTTP server's dependencies would slow every other command's start.
        return await (await import('./serve.js')).runServe(rest);
      case 'export':
        return await (await import('./export.js')).runExport(rest);
      default:
        throw new UsageError(`unknown command '${command}'. Run 'attn --help' for the list.`);
    }
  } catch (error) {
    if (error instanceof UsageError) {
      process.stderr.write(`attn: ${capped(error.message)}\n`);
      return EXIT_USAGE;
    }
    process.stderr.write(`attn: ${capped(error instanceof Error ? error.message : String(error))}\n`);
    return 1;
  }
}

/** The longest error message printed: enough for any real one; a crafted input cannot flood the terminal. */
const MAX_MESSAGE_LENGTH = 4000;

function capped(message: string): string {
  return message.length <= MAX_MESSAGE_LENGTH
    ? message
    : `${message.slice(0, MAX_MESSAGE_LENGTH)}… (${message.length - MAX_MESSAGE_LENGTH} more characters)`;
}
