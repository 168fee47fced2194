import { spawn, type ChildProcess } from "node:child_process";

export interface GpuReading {
  index: number;
  /** Percent. */
  utilization: number;
  memoryUsedGb: number;
  memoryTotalGb: number;
  /** Degrees Celsius. */
  temperature: number;
}

const QUERY = "index,utilization.gpu,memory.used,memory.total,temperature.gpu";

/**
 * GPU readings from `nvidia-smi`, run once as a long-lived child that prints a CSV line per GPU
 * every interval (`-lms`): one process for the whole run instead of one per sample. Spawned
 * without a shell. When nvidia-smi is absent or fails, `available` turns false and readings
 * stay empty; nothing is thrown.
 */
export class GpuMonitor {
  private child: ChildProcess | undefined;
  private readonly latest = new Map<number, GpuReading>();
  private partial = "";
  private failed = false;

  constructor(private readonly command = "nvidia-smi") {}

  get available(): boolean {
    return !this.failed;
  }

  /** The last reading of every GPU seen so far. */
  readings(): GpuReading[] {
    return [...this.latest.values()].sort((a, b) => a.index - b.index);
  }

  start(intervalMs: number): void {
    if (this.child || this.failed) return;
    let child: ChildProcess;
    try {
      child = spawn(
        this.command,
        [`--query-gpu=${QUERY}`, "--format=csv,noheader,nounits", `-lms=${Math.max(100, Math.round(intervalMs))}`],
        {
          stdio: ["ignore", "pipe", "ignore"],
          shell: false,
          windowsHide: true,
        },
      );
    } catch {
      this.failed = true;
      return;
    }
    this.child = child;
    child.on("error", () => {
      // ENOENT: no NVIDIA driver here. Not an error for the run.
      this.failed = true;
      this.child = undefined;
    });
    child.on("exit", (code) => {
      if (code !== 0 && code !== null) this.failed = true;
      this.child = undefined;
    });
    child.stdout!.setEncoding("utf8");
    child.stdout!.on("data", (chunk: string) => this.consume(chunk));
    // Sampling must never keep the process alive.
    child.unref();
    (child.stdout as unknown as { unref?: () => void }).unref?.();
  }

  stop(): void {
    const child = this.child;
    this.child = undefined;
    // Only a child that really started has a pid. A spawn that failed (ENOENT: no nvidia-smi)
    // reports its error a tick later; killing it before then makes Node signal pid 0, which is
    // the whole process group: the shell or the editor around `expman run`. Never do that.
    if (child && typeof child.pid === "number" && child.pid > 0 && child.exitCode === null && child.signalCode === null)
      child.kill();
  }

  /** Parses `index, util, mem used MiB, mem total MiB, temp` lines; exposed for tests. */
  consume(chunk: string): void {
    const text = this.partial + chunk;
    const lines = text.split("\n");
    this.partial = lines.pop() ?? "";
    for (const line of lines) {
      const parts = line.split(",").map((p) => Number(p.trim()));
      if (parts.length !== 5 || !Number.isInteger(parts[0])) continue;
      const [index, utilization, used, total, temperature] = parts;
      this.latest.set(index, {
        index,
        utilization: finite(utilization),
        memoryUsedGb: finite(used) / 1024,
        memoryTotalGb: finite(total) / 1024,
        temperature: finite(temperature),
      });
    }
  }
}

/** nvidia-smi prints "[N/A]" for fields a GPU does not report. */
function finite(n: number): number {
  return Number.isFinite(n) ? n : 0;
}
