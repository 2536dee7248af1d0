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
  info        version, backend, threads and CPU features
  serve       the JSON API and web page over a checkpoint

Options:
  -h, --help     show help (also after a command: attn info --help)
  -v, --version  print the version

More commands (demo, train, translate, classify, eval, attention) arrive as the project grows; see README.md.
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
      case 'serve':
        // Loaded on demand: the HTTP server's dependencies would slow every other command's start.
        return await (await import('./serve.js')).runServe(rest);
      default:
        throw new UsageError(`unknown command '${command}'. Run 'attn --help' for the list.`);
    }
  } catch (error) {
    if (error instanceof UsageError) {
      process.stderr.write(`attn: ${error.message}\n`);
      return EXIT_USAGE;
    }
    process.stderr.write(`attn: ${error instanceof Error ? error.message : String(error)}\n`);
    return 1;
  }
}
