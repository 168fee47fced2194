import { RunStatus } from "../common/enums";
import type { RunEvent } from "../events/contract";
import { runLabel, type PlannedRun } from "../experiment/plan";
import { duration, num } from "./format";

interface Active {
  run: PlannedRun;
  started: number;
  epoch?: number;
  epochs?: number;
}

/**
 * The CLI's progress when runs execute in worker processes: every active run at once, from
 * the events the workers send. On a terminal, one status line lists the active runs (epoch of
 * total, latest loss) under the lines of runs that started and ended; elsewhere, plain lines.
 * Also keeps the last value of each metric per run for the summary table.
 */
export class RunBoard {
  /** Last value of every metric key, per run uid (run scope wins over epoch over batch). */
  readonly finals = new Map<string, Record<string, number>>();
  private readonly ranks = new Map<string, Map<string, number>>();
  private readonly active = new Map<string, Active>();
  private done = 0;
  private lastRender = 0;
  private readonly tty: boolean;

  constructor(
    private readonly out: NodeJS.WriteStream,
    private readonly total: number,
    private readonly plannedRuns: number,
  ) {
    this.tty = Boolean(out.isTTY);
  }

  started(run: PlannedRun, pid: number): void {
    this.active.set(run.uid, { run, started: Date.now() });
    this.line(`${this.head(run)} started (worker pid ${pid})`);
  }

  event(event: RunEvent, run: PlannedRun): void {
    const a = this.active.get(run.uid);
    if (event.kind === "metrics") {
      const finals = this.finals.get(run.uid) ?? {};
      const ranks = this.ranks.get(run.uid) ?? new Map<string, number>();
      for (const p of event.points) {
        if (typeof p.value !== "number") continue;
        const rank = { run: 3, epoch: 2, batch: 1 }[p.scope];
        if (rank >= (ranks.get(p.key) ?? 0)) {
          finals[p.key] = p.value;
          ranks.set(p.key, rank);
        }
      }
      this.finals.set(run.uid, finals);
      this.ranks.set(run.uid, ranks);
    } else if (event.kind === "progress" && a) {
      a.epoch = event.epoch ?? undefined;
      a.epochs = event.epochs ?? undefined;
      if (this.tty) this.status();
      else this.line(`${this.head(run)} epoch ${this.epochText(a)} ${this.latest(run)}`.trimEnd());
    }
  }

  ended(run: PlannedRun, status: RunStatus, error?: string): void {
    const a = this.active.get(run.uid);
    this.active.delete(run.uid);
    this.done++;
    const took = a ? ` in ${duration(Date.now() - a.started)}` : "";
    this.line(
      `${this.head(run)} ${RunStatus[status]}${took}${error ? `: ${error}` : ""} ${this.latest(run)}`.trimEnd(),
    );
  }

  /** Clears the status line (before the summary). */
  close(): void {
    if (this.tty) this.out.write("\r\x1b[2K");
  }

  private head(run: PlannedRun): string {
    return `[run ${run.index + 1}/${this.plannedRuns}] ${runLabel(run)}`;
  }

  private epochText(a: Active): string {
    return a.epoch === undefined ? "-" : `${a.epoch + 1}${a.epochs ? `/${a.epochs}` : ""}`;
  }

  private latest(run: PlannedRun): string {
    const finals = this.finals.get(run.uid);
    if (!finals) return "";
    return ["train_loss", "val_loss", "val_acc"]
      .filter((k) => k in finals)
      .map((k) => `${k}=${num(finals[k])}`)
      .join(" ");
  }

  private line(text: string): void {
    this.out.write(`${this.tty ? "\r\x1b[2K" : ""}${text}\n`);
    if (this.tty) this.status(true);
  }

  private status(force = false): void {
    const now = Date.now();
    if (!force && now - this.lastRender < 100) return;
    this.lastRender = now;
    const runs = [...this.active.values()].map((a) => `${runLabel(a.run)} ${this.epochText(a)}`).join(" | ");
    const text = `${this.done}/${this.total} done, ${this.active.size} running: ${runs}`;
    this.out.write(`\r\x1b[2K${text.slice(0, (this.out.columns ?? 120) - 1)}`);
  }
}
