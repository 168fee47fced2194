import { parseArgs, type ParseArgsConfig } from "node:util";

/** Thrown for a wrong command line: printed with the command's usage, exit code 2. */
export class UsageError extends Error {
  constructor(
    message: string,
    readonly usage: string,
  ) {
    super(message);
    this.name = "UsageError";
  }
}

export interface ParsedArgs {
  values: Record<string, any>;
  positionals: string[];
}

export function parse(argv: string[], options: NonNullable<ParseArgsConfig["options"]>, usage: string): ParsedArgs {
  try {
    return parseArgs({ args: argv, options, allowPositionals: true, strict: true }) as ParsedArgs;
  } catch (error) {
    throw new UsageError((error as Error).message, usage);
  }
}
