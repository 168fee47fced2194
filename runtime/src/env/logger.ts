import * as fs from "node:fs";
import * as path from "node:path";

export type LogLevel = "DEBUG" | "INFO" | "WARNING" | "ERROR";
const RANK: Record<LogLevel, number> = { DEBUG: 10, INFO: 20, WARNING: 30, ERROR: 40 };

export type LogListener = (level: LogLevel, message: string, time: Date) => void;

/** `2026-11-26 05:34:40,123`: the Python logging timestamp, so logs read as the original's. */
export function pythonTimestamp(d: Date): string {
  const p = (n: number, w = 2) => String(n).padStart(w, "0");
  return `${d.getFullYear()}-${p(d.getMonth() + 1)}-${p(d.getDate())} ${p(d.getHours())}:${p(d.getMinutes())}:${p(d.getSeconds())},${p(d.getMilliseconds(), 3)}`;
}

/** `20261126_053440_123456` (the original's log-name stamp; microseconds padded from ms). */
export function fileStamp(d: Date): string {
  const p = (n: number, w = 2) => String(n).padStart(w, "0");
  return `${d.getFullYear()}${p(d.getMonth() + 1)}${p(d.getDate())}_${p(d.getHours())}${p(d.getMinutes())}${p(d.getSeconds())}_${p(d.getMilliseconds(), 3)}${p(Math.floor(Math.random() * 1000), 3)}`;
}

/**
 * An environment's logger: a file under `<ws>/logs/` in the original's line format
 * (`time - LEVEL - message`), plus the console when verbose. Writes are synchronous so a
 * crash never loses the line that explains it.
 */
export class Logger {
  /** Listeners for every logger of the process (the CLI forwards lines to the events channel). */
  static readonly globalListeners: LogListener[] = [];
  private fd: number | undefined;
  /** The log file; moves with `setLogDir`. */
  file: string;
  private readonly listeners: LogListener[] = [];

  constructor(
    logDir: string,
    readonly name: string,
    private readonly options: { debug?: boolean; console?: boolean } = {},
  ) {
    fs.mkdirSync(logDir, { recursive: true });
    this.file = path.join(logDir, `${name}.log`);
  }

  get level(): LogLevel {
    return this.options.debug ? "DEBUG" : "INFO";
  }

  onLine(listener: LogListener): () => void {
    this.listeners.push(listener);
    return () => {
      const i = this.listeners.indexOf(listener);
      if (i >= 0) this.listeners.splice(i, 1);
    };
  }

  debug(message: string): void {
    this.log("DEBUG", message);
  }
  info(message: string): void {
    this.log("INFO", message);
  }
  warning(message: string): void {
    this.log("WARNING", message);
  }
  warn(message: string): void {
    this.log("WARNING", message);
  }
  error(message: string): void {
    this.log("ERROR", message);
  }

  log(level: LogLevel, message: string): void {
    if (RANK[level] < RANK[this.level]) return;
    const now = new Date();
    const line = `${pythonTimestamp(now)} - ${level} - ${message}\n`;
    try {
      if (this.fd === undefined) this.fd = fs.openSync(this.file, "a");
      fs.writeSync(this.fd, line);
    } catch {
      // A full disk must not take the run down; the console and listeners still get the line.
    }
    if (this.options.console) (level === "ERROR" || level === "WARNING" ? process.stderr : process.stdout).write(line);
    for (const listener of this.listeners) listener(level, message, now);
    for (const listener of Logger.globalListeners) listener(level, message, now);
  }

  /** The original's `set_log_dir`: later lines go to a file of the same name in `logDir`. */
  setLogDir(logDir: string): void {
    fs.mkdirSync(logDir, { recursive: true });
    this.close();
    this.file = path.join(logDir, path.basename(this.file));
  }

  close(): void {
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
