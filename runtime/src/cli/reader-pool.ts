import { performance } from "node:perf_hooks";
import { QueryErrorCode } from "../results/contract";
import { QueryFailure, READER_LOST, ReaderProcess } from "./reader-process";

/**
 * Which reader process answers a request of `expman serve`. Starting a reader costs a Node
 * start (about 130 ms of CPU), and the editor's first view asks every database of the
 * workspace at once: with a reader per file, the tree's cold fill grew by that per database
 * (3 s for 15 experiment folders on 2 cores). So files share one reader, a request at a time,
 * as long as they answer quickly. A file whose query runs long, misses its deadline or takes
 * its reader down gets a reader of its own from then on; and while the shared reader is held
 * by one query for longer than BYPASS_MS, other files' requests go to readers of their own
 * instead of waiting behind it. One file that hangs costs the others at most BYPASS_MS and a
 * process start.
 */

/** How long the shared reader may be held by one query before other files stop waiting for it. */
export const BYPASS_MS = 500;
/** A query that took longer than this moves its file to a reader of its own. */
export const SLOW_MS = 1_000;

interface Queued {
  file: string;
  method: string;
  params: object;
  resolve(value: unknown): void;
  reject(error: Error): void;
}

export class ReaderPool {
  private readonly shared: ReaderProcess;
  private readonly own = new Map<string, ReaderProcess>();
  /** Files read by a reader of their own from now on (slow, timed out, or their reader died). */
  private readonly alone = new Set<string>();
  private readonly queue: Queued[] = [];
  /** Files the shared reader has been asked about (it may hold them open). */
  private readonly sharedFiles = new Set<string>();
  /** The request the shared reader is answering. */
  private busy: { file: string; since: number } | undefined;
  private bypassTimer: NodeJS.Timeout | undefined;

  constructor(private readonly timeoutMs: number) {
    this.shared = new ReaderProcess("the shared reader", timeoutMs);
  }

  /** Answers `method` on `file` (its key: absolute path or URL) from the reader that should read it. */
  send(file: string, method: string, params: object): Promise<unknown> {
    if (this.ownsReader(file) || this.bypassing(file)) return this.ownReader(file).send(method, params);
    return new Promise((resolve, reject) => {
      this.queue.push({ file, method, params, resolve, reject });
      this.pump();
    });
  }

  /** Forgets a file: closes its own reader; the shared reader closes its store. */
  async closeFile(file: string): Promise<boolean> {
    const own = this.own.get(file);
    own?.close();
    this.own.delete(file);
    if (own) return true;
    // Never read by the shared reader: nothing to close (and no reader to start for it).
    if (!this.sharedFiles.delete(file)) return false;
    const answer = (await this.send(file, "db.close", { db: file })) as { closed?: boolean } | null;
    return Boolean(answer?.closed);
  }

  /** Files read by a reader of their own (the tests look). */
  isolated(): string[] {
    return [...this.own.keys()];
  }

  close(): void {
    clearTimeout(this.bypassTimer);
    this.shared.close();
    for (const reader of this.own.values()) reader.close();
    this.own.clear();
    for (const q of this.queue.splice(0)) q.reject(new QueryFailure(-32603, "the query service was closed"));
  }

  private ownsReader(file: string): boolean {
    return this.alone.has(file) || this.own.has(file);
  }

  /** The shared reader has been held past BYPASS_MS by another file's query. */
  private bypassing(file: string): boolean {
    return this.busy !== undefined && this.busy.file !== file && performance.now() - this.busy.since >= BYPASS_MS;
  }

  private ownReader(file: string): ReaderProcess {
    let reader = this.own.get(file);
    if (!reader) this.own.set(file, (reader = new ReaderProcess(file, this.timeoutMs)));
    return reader;
  }

  private pump(): void {
    if (this.busy) return;
    const next = this.queue.shift();
    if (!next) return;
    if (this.ownsReader(next.file)) {
      this.ownReader(next.file).send(next.method, next.params).then(next.resolve, next.reject);
      return this.pump();
    }
    // Held from when the reader reads (its start-up is nobody's fault: everyone waits for it).
    const busy = (this.busy = { file: next.file, since: Infinity });
    this.sharedFiles.add(next.file);
    const answered = this.shared.send(next.method, next.params);
    this.shared.whenReady(() => {
      if (this.busy !== busy) return;
      busy.since = performance.now();
      this.bypassTimer = setTimeout(() => this.bypass(), BYPASS_MS);
    });
    answered.then(
      (value) => {
        if (performance.now() - busy.since > SLOW_MS) this.alone.add(next.file);
        this.done();
        next.resolve(value);
      },
      (error: Error) => {
        if (losesReader(error) || performance.now() - busy.since > SLOW_MS) this.alone.add(next.file);
        this.done();
        // The reader died under the request (a crash, or killed from outside): asked once more,
        // alone, it answers, unless its own file is what takes readers down.
        if (lostReader(error)) this.ownReader(next.file).send(next.method, next.params).then(next.resolve, next.reject);
        else next.reject(error);
      },
    );
  }

  /** The shared reader is held: waiting requests of other files go to readers of their own. */
  private bypass(): void {
    const busy = this.busy;
    if (!busy) return;
    const stay: Queued[] = [];
    for (const q of this.queue.splice(0)) {
      if (q.file === busy.file) stay.push(q);
      else this.ownReader(q.file).send(q.method, q.params).then(q.resolve, q.reject);
    }
    this.queue.push(...stay);
  }

  private done(): void {
    clearTimeout(this.bypassTimer);
    this.busy = undefined;
    this.pump();
  }
}

/** The request's reader was stopped at its deadline, or died: its file reads alone from now on. */
function losesReader(error: Error): boolean {
  return (error instanceof QueryFailure && error.code === QueryErrorCode.DB_TIMEOUT) || lostReader(error);
}

function lostReader(error: Error): boolean {
  return error instanceof QueryFailure && (error.data as { reason?: unknown } | undefined)?.reason === READER_LOST;
}
