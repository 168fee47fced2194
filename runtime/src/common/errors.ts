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
