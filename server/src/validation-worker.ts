/**
 * The validation worker (a worker thread of the language server; its own esbuild entry,
 * server/out/validation-worker.js): validates large config sets off the main thread, so that
 * completion, hover and every other request are answered while a huge document is checked
 * (issue 13.5). It runs the same `validateConfigSet` as the main thread and the CLI; it keeps
 * its own trial-by-trial parse cache. Messages are typed in off-thread.ts.
 */
import * as fs from "node:fs";
import { parentPort, workerData } from "node:worker_threads";
import {
  TrialsParseCache,
  ValidationCancelled,
  validateConfigSet,
  type RegistryDescription,
} from "@expman/runtime/contracts";
import type { ToWorker, FromWorker } from "./off-thread";
import { warmUpValidation } from "./warm-up";

const port = parentPort;
if (!port) throw new Error("validation-worker.js runs as a worker thread of the language server");

const trialsCache = new TrialsParseCache();
let registry: RegistryDescription = (workerData as { registry: RegistryDescription }).registry;

port.on("message", (message: ToWorker) => {
  if (message.kind === "forget") {
    trialsCache.forget(message.path);
    return;
  }
  if (message.registry) registry = message.registry;
  const open = new Set(message.openPaths);
  const cancel = new Int32Array(message.cancel);
  port.postMessage({ id: message.id, started: true } satisfies FromWorker);
  let reply: FromWorker;
  try {
    const diagnostics = validateConfigSet(message.files, registry, {
      fileExists: (p) => open.has(p) || (fs.existsSync(p) && fs.statSync(p).isFile()),
      trialsCache,
      isCancelled: () => Atomics.load(cancel, 0) === 1,
    });
    reply = { id: message.id, diagnostics };
  } catch (err) {
    reply =
      err instanceof ValidationCancelled
        ? { id: message.id, cancelled: err.where }
        : { id: message.id, error: (err as Error)?.stack ?? String(err) };
  }
  port.postMessage(reply);
});

warmUpValidation(registry);
port.postMessage({ id: 0, ready: true } satisfies FromWorker);
