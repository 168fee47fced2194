/** A place in a file, 1-based line and column as editors show them. */
export interface SourceLocation {
  file: string;
  line: number;
  column: number;
}

export function formatLocation(loc: SourceLocation): string {
  return `${loc.file}:${loc.line}:${loc.column}`;
}

/**
 * A problem in a user's config, with where it is and what to do. `expman validate` prints
 * these as `file:line:col: message`, which terminals and editors turn into links.
 */
export class ConfigError extends Error {
  readonly location: SourceLocation;
  readonly hint?: string;
  constructor(location: SourceLocation, message: string, hint?: string) {
    super(`${formatLocation(location)}: ${message}${hint ? ` (${hint})` : ""}`);
    this.name = "ConfigError";
    this.location = location;
    this.hint = hint;
  }
}

/** Several config problems found together: users fix them all in one go. */
export class ConfigErrors extends Error {
  readonly errors: ConfigError[];
  constructor(errors: ConfigError[]) {
    super(errors.map((e) => e.message).join("\n"));
    this.name = "ConfigErrors";
    this.errors = errors;
  }
}

export class RegistryError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "RegistryError";
  }
}

/** Serialisable form of an error for trackers, events and the database. */
export interface ErrorInfo {
  message: string;
  stack?: string;
  name?: string;
}

export function toErrorInfo(error: unknown): ErrorInfo {
  if (error instanceof Error) {
    return { message: error.message, stack: error.stack, name: error.name };
  }
  return { message: String(error) };
}
