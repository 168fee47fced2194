/**
 * Stopping a validation that nobody will read any more (the language server's worker, when a
 * newer version of the document arrives while it checks a huge one): the validator asks
 * `isCancelled` between trials and between files, and stops with this error.
 */
export class ValidationCancelled extends Error {
  constructor(readonly where: string) {
    super(`validation stopped ${where}: a newer version replaced the texts`);
    this.name = "ValidationCancelled";
  }
}

/** Asks whether to stop; throws ValidationCancelled (with where it stopped) when so. */
export type CancelCheck = (where: () => string) => void;

export function cancelCheck(isCancelled: (() => boolean) | undefined): CancelCheck {
  if (!isCancelled) return () => undefined;
  return (where) => {
    if (isCancelled()) throw new ValidationCancelled(where());
  };
}
