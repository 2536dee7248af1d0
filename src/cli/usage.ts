/** Exit code for bad usage: an unknown command, option or value. */
export const EXIT_USAGE = 2;

/** An error in how the command was called; reported without a stack trace, exit code 2. */
export class UsageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'UsageError';
  }
}

/** Runs an option parser (node:util parseArgs, strict), turning its complaints into usage errors. */
export function parsingUsage<T>(parse: () => T): T {
  try {
    return parse();
  } catch (error) {
    throw new UsageError(error instanceof Error ? error.message : String(error));
  }
}
