import { test } from "node:test";
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import Database from "better-sqlite3";
import { ResultsStore, recoverStale } from "../src/results/store";

/**
 * Real child processes that track through TrackerManager + DBTracker and die: SIGKILL mid-epoch
 * (nothing runs), SIGINT handled as the CLI does, process.exit without close. The database must
 * open, pass integrity_check, hold every flushed point, and read back with the right status.
 */

const WRITER = path.join(__dirname, "fixtures", "db", "crash-writer.ts");
const FLUSHED_EPOCHS = 3;
const BATCHES = 2500;

/** A line the crash writer prints (fixtures/db/crash-writer.ts). */
interface WriterMessage {
  phase: string;
  flushedBatchPoints?: number;
  trackedBatchPoints?: number;
}

interface Child {
  messages: WriterMessage[];
  exit: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  waitFor(phase: string): Promise<WriterMessage>;
  kill(signal: NodeJS.Signals): void;
  stderr(): string;
}

function startWriter(workspace: string, mode: string, flushInterval = 3600): Child {
  const child = spawn(process.execPath, ["--import", "tsx", WRITER, workspace, mode, String(flushInterval)], {
    stdio: ["ignore", "pipe", "pipe"],
    cwd: path.join(__dirname, ".."),
  });
  const messages: WriterMessage[] = [];
  const waiters: { phase: string; resolve: (m: WriterMessage) => void }[] = [];
  let out = "";
  let err = "";
  child.stdout.on("data", (d: Buffer) => {
    out += d.toString();
    let nl: number;
    while ((nl = out.indexOf("\n")) >= 0) {
      const line = out.slice(0, nl);
      out = out.slice(nl + 1);
      const m = JSON.parse(line) as WriterMessage;
      messages.push(m);
      for (const w of waiters.filter((x) => x.phase === m.phase)) w.resolve(m);
    }
  });
  child.stderr.on("data", (d: Buffer) => (err += d.toString()));
  const exit = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.on("exit", (code, signal) => resolve({ code, signal })),
  );
  return {
    messages,
    exit,
    waitFor: (phase) =>
      new Promise((resolve, reject) => {
        const seen = messages.find((m) => m.phase === phase);
        if (seen) return resolve(seen);
        waiters.push({ phase, resolve });
        void exit.then((e) => reject(new Error(`writer exited (${JSON.stringify(e)}) before '${phase}': ${err}`)));
      }),
    kill: (signal) => child.kill(signal),
    stderr: () => err,
  };
}

function rawCheck(file: string): { integrity: string; fk: unknown[]; runStatus: string; batchPoints: number } {
  const db = new Database(file, { readonly: true });
  try {
    const integrity = db.pragma("integrity_check", { simple: true }) as string;
    const fk = db.pragma("foreign_key_check") as unknown[];
    const runStatus = (db.prepare("SELECT status FROM trial_run").get() as { status: string }).status;
    const row = db.prepare("SELECT count FROM series WHERE key = 'train_loss' AND scope = 'batch'").get() as
      { count: number } | undefined;
    return { integrity, fk, runStatus, batchPoints: row?.count ?? 0 };
  } finally {
    db.close();
  }
}

const tmp = () => fs.mkdtempSync(path.join(os.tmpdir(), "db-crash-"));

test("SIGKILL mid-epoch: file intact, every flushed point there, run read back ABORTED, recoverStale writes it", async () => {
  const ws = tmp();
  const child = startWriter(ws, "hang");
  const mid = await child.waitFor("mid");
  const lastFlush = child.messages.filter((m) => m.phase === "epoch").at(-1)!;
  assert.equal(lastFlush.flushedBatchPoints, FLUSHED_EPOCHS * BATCHES);
  assert.equal(mid.trackedBatchPoints, FLUSHED_EPOCHS * BATCHES + BATCHES / 2);
  child.kill("SIGKILL");
  const exit = await child.exit; // reaped: its pid is gone
  assert.equal(exit.signal, "SIGKILL");

  const file = path.join(ws, "artifacts", "crash.db");
  const raw = rawCheck(file);
  assert.equal(raw.integrity, "ok");
  assert.deepEqual(raw.fk, []);
  assert.equal(raw.runStatus, "RUNNING", "nothing ran at SIGKILL, the file still says RUNNING");
  // The flush interval is an hour: exactly the flushed points are there, the half epoch is lost.
  assert.equal(raw.batchPoints, FLUSHED_EPOCHS * BATCHES);

  const store = new ResultsStore(file);
  try {
    const [run] = store.listRuns();
    assert.equal(run.status, "ABORTED");
    assert.equal(store.listExperiments()[0].status, "ABORTED");
    const series = store.getSeries({ runId: run.id, key: "train_loss" });
    assert.equal(series.totalPoints, FLUSHED_EPOCHS * BATCHES);
    assert.deepEqual(
      series.values,
      Array.from({ length: FLUSHED_EPOCHS * BATCHES }, (_, i) => i),
    );
    const epochs = store.listEpochs(run.id);
    assert.deepEqual(
      epochs.map((e) => [e.idx, e.status, e.batchCount]),
      [
        [0, "SUCCESS", BATCHES],
        [1, "SUCCESS", BATCHES],
        [2, "SUCCESS", BATCHES],
        [3, "ABORTED", 0],
      ],
    );
    assert.deepEqual(
      epochs.map((e) => e.metrics.val_loss),
      [1, 1 / 2, 1 / 3, undefined],
    );
  } finally {
    store.close();
  }

  const report = recoverStale(file);
  assert.deepEqual(report, { experiments: 1, trials: 1, runs: 1, epochs: 1 });
  assert.equal(rawCheck(file).runStatus, "ABORTED");
  assert.deepEqual(
    recoverStale(file),
    { experiments: 0, trials: 0, runs: 0, epochs: 0 },
    "recovering twice changes nothing",
  );
});

test("SIGKILL after an idle stretch: the flush timer had written the unfinished epoch", async () => {
  const ws = tmp();
  const child = startWriter(ws, "idle", 0.1);
  await child.waitFor("mid");
  child.kill("SIGKILL");
  await child.exit;
  const raw = rawCheck(path.join(ws, "artifacts", "crash.db"));
  assert.equal(raw.integrity, "ok");
  assert.equal(raw.batchPoints, FLUSHED_EPOCHS * BATCHES + BATCHES / 2);
});

test("SIGINT handled like the CLI does (onEnd ABORTED, close): statuses ABORTED in the file, error stored", async () => {
  const ws = tmp();
  const child = startWriter(ws, "sigint");
  await child.waitFor("mid");
  child.kill("SIGINT");
  const exit = await child.exit;
  assert.equal(exit.code, 130, child.stderr());
  const file = path.join(ws, "artifacts", "crash.db");
  const raw = rawCheck(file);
  assert.equal(raw.integrity, "ok");
  assert.equal(raw.runStatus, "ABORTED");
  assert.equal(raw.batchPoints, FLUSHED_EPOCHS * BATCHES + BATCHES / 2, "close() flushed the half epoch");
  const store = new ResultsStore(file);
  try {
    const [run] = store.listRuns();
    assert.deepEqual(run.error, { message: "interrupted (SIGINT)" });
    assert.equal(store.listEpochs(run.id).at(-1)!.status, "ABORTED");
    assert.equal(store.listEpochs(run.id).at(-1)!.batchCount, BATCHES / 2);
  } finally {
    store.close();
  }
});

test("process.exit without closing: the exit hook flushes synchronously and marks what was left RUNNING as ABORTED", async () => {
  const ws = tmp();
  const child = startWriter(ws, "exit");
  const exit = await child.exit;
  assert.equal(exit.code, 3, child.stderr());
  const raw = rawCheck(path.join(ws, "artifacts", "crash.db"));
  assert.equal(raw.integrity, "ok");
  assert.equal(raw.batchPoints, FLUSHED_EPOCHS * BATCHES + BATCHES / 2);
  assert.equal(raw.runStatus, "ABORTED");
});
