import * as fs from "node:fs";
import * as net from "node:net";
import type { Writable } from "node:stream";
import { EVENTS_VERSION, type RunEvent } from "./contract";

type Unversioned<E> = E extends RunEvent ? Omit<E, "v" | "t"> & { t?: number } : never;

/**
 * Where run events go: `fd:N` (a pipe the extension opened as an extra stdio slot, so the
 * pipeline's own stdout and stderr stay untouched) or a file path (appended). Writes are
 * asynchronous and never block training; `close()` waits until everything is handed over.
 */
export class EventChannel {
  private readonly stream: Writable;
  private broken = false;

  private constructor(stream: Writable) {
    this.stream = stream;
    // A reader that went away (the extension reloaded) must not crash the run.
    this.stream.on("error", () => {
      this.broken = true;
    });
  }

  static open(spec: string): EventChannel {
    const fdMatch = /^fd:(\d+)$/.exec(spec);
    if (fdMatch) {
      const fd = Number(fdMatch[1]);
      let stat: fs.Stats;
      try {
        stat = fs.fstatSync(fd);
      } catch {
        throw new Error(
          `--events ${spec}: file descriptor ${fd} is not open. Start expman with that descriptor piped, or give a file path.`,
        );
      }
      const stream =
        stat.isFIFO() || stat.isSocket()
          ? new net.Socket({ fd, readable: false, writable: true })
          : fs.createWriteStream("", { fd });
      return new EventChannel(stream);
    }
    return new EventChannel(fs.createWriteStream(spec, { flags: "a" }));
  }

  /** A channel into any writable (tests, in-process consumers). */
  static of(stream: Writable): EventChannel {
    return new EventChannel(stream);
  }

  send(event: Unversioned<RunEvent>): void {
    if (this.broken) return;
    const full = { v: EVENTS_VERSION, t: event.t ?? Date.now(), ...event };
    this.stream.write(`${JSON.stringify(full)}\n`);
  }

  close(): Promise<void> {
    return new Promise((resolve) => {
      if (this.broken) return resolve();
      this.stream.end(() => resolve());
      // Never hang the exit on a reader that stopped reading.
      setTimeout(resolve, 2000).unref();
    });
  }
}
