import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { RecordBuffer } from "./event-encoder";

/** Flush on our own once this much is buffered, so memory stays bounded between epoch ends. */
const AUTO_FLUSH_BYTES = 1 << 20;

/**
 * One TensorBoard event file, `events.out.tfevents.<seconds>.<host>` in `logDir`. Records are
 * buffered and appended on `flush()`; the file (with its leading file-version event) is only
 * created once there is something to write, so levels that never log leave no empty runs.
 */
export class EventFileWriter {
  private readonly records = new RecordBuffer();
  private fd: number | undefined;
  private file: string | undefined;
  private readonly tagCache = new Map<string, Buffer>();

  constructor(readonly logDir: string) {}

  /** The event file's path once created. */
  get filePath(): string | undefined {
    return this.file;
  }

  get pendingBytes(): number {
    return this.records.length;
  }

  addScalar(tag: string, value: number, step: number, wallTimeMs: number): void {
    this.records.scalar(wallTimeMs / 1000, step, this.tagBytes(tag), value);
    if (this.records.length >= AUTO_FLUSH_BYTES) this.flush();
  }

  addText(tag: string, text: string, step: number, wallTimeMs: number): void {
    this.records.text(wallTimeMs / 1000, step, this.tagBytes(tag), text);
    if (this.records.length >= AUTO_FLUSH_BYTES) this.flush();
  }

  /** A summary value whose metadata and tensor are already encoded (see hparams.ts). */
  addEncoded(tag: string, body: Buffer, step: number, wallTimeMs: number): void {
    this.records.encodedValue(wallTimeMs / 1000, step, this.tagBytes(tag), body);
    if (this.records.length >= AUTO_FLUSH_BYTES) this.flush();
  }

  /**
   * Appends what is buffered. If the folder cannot be written, the buffered records are
   * dropped (they would only pile up) and the error says which folder and what to do.
   */
  flush(): void {
    if (this.records.length === 0) return;
    try {
      if (this.fd === undefined) this.open();
      const bytes = this.records.bytes();
      let off = 0;
      while (off < bytes.length) off += fs.writeSync(this.fd!, bytes, off, bytes.length - off);
    } catch (error) {
      throw new Error(
        `TensorBoardTracker cannot write its event file in ${this.logDir}: ${(error as Error).message}. ` +
          `Make the folder writable (or free disk space); ${this.records.length} bytes of events were dropped.`,
        { cause: error },
      );
    } finally {
      this.records.clear();
    }
  }

  /**
   * Flushes and lets go of the file descriptor (a finished run keeps none open); a later write
   * appends to the same file.
   */
  release(): void {
    try {
      this.flush();
    } finally {
      if (this.fd !== undefined) {
        try {
          fs.closeSync(this.fd);
        } catch {
          /* already closed */
        }
        this.fd = undefined;
      }
    }
  }

  close(): void {
    this.release();
  }

  private open(): void {
    if (this.file !== undefined) {
      this.fd = fs.openSync(this.file, "a");
      return;
    }
    fs.mkdirSync(this.logDir, { recursive: true });
    const now = Date.now();
    const base = `events.out.tfevents.${String(Math.floor(now / 1000)).padStart(10, "0")}.${os.hostname()}`;
    // Two writers in one folder within one second (a re-run): suffix as TensorBoard's own writers do.
    let name = base;
    for (let n = 1; fs.existsSync(path.join(this.logDir, name)); n++) name = `${base}.${process.pid}.${n}`;
    this.file = path.join(this.logDir, name);
    this.fd = fs.openSync(this.file, "wx");
    const head = new RecordBuffer(64);
    head.fileVersion(now / 1000);
    fs.writeSync(this.fd, head.bytes());
  }

  private tagBytes(tag: string): Buffer {
    let bytes = this.tagCache.get(tag);
    if (!bytes) {
      bytes = Buffer.from(tag, "utf8");
      this.tagCache.set(tag, bytes);
    }
    return bytes;
  }
}
