/**
 * The writers open in this process, so that whatever is buffered is written when the process
 * ends without closing its trackers (process.exit in a pipeline, an uncaught error).
 */

interface Closable {
  readonly file: string;
  close(): void;
}

const openStores = new Set<Closable>();
let exitHookInstalled = false;
let failure: { message: string; stack?: string } | undefined;

export function storeOpened(store: Closable): void {
  openStores.add(store);
  installExitHook();
}

export function storeClosed(store: Closable): void {
  openStores.delete(store);
}

/** The error the process is ending on, if closeOpenStoresFailed was called. */
export function processFailure(): { message: string; stack?: string } | undefined {
  return failure;
}

/**
 * The process is ending on an error nothing caught (an uncaught exception or rejection in a
 * pipeline): what the open stores left RUNNING is closed FAILED with this message, not ABORTED.
 */
export function closeOpenStoresFailed(error: { message: string; stack?: string }): void {
  failure = { message: error.message, stack: error.stack };
  for (const store of [...openStores]) {
    try {
      store.close();
    } catch (e) {
      process.stderr.write(`DBTracker: could not record the failure in ${store.file}: ${(e as Error).message}\n`);
    }
  }
}

/**
 * One 'exit' listener for all stores: whatever is buffered is written synchronously when the
 * process ends without closing its trackers.
 */
function installExitHook(): void {
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  process.on("exit", () => {
    for (const store of [...openStores]) {
      try {
        store.close();
      } catch (error) {
        process.stderr.write(
          `DBTracker: could not write the last points to ${store.file} at exit: ${(error as Error).message}\n`,
        );
      }
    }
  });
}
