/**
 * How the benchmarks print their figures: the load average (the 2 cores are shared, so every
 * figure is printed with it) and a distribution's median, tail and count.
 */
import { loadavg } from "node:os";

/** The 1, 5 and 15 minute load averages, e.g. "2.31 1.80 1.02". */
export function loadAverage(): string {
  return loadavg()
    .map((x) => x.toFixed(2))
    .join(" ");
}

/** The middle value (the upper one of an even count). */
export function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)];
}

/** "median …, p95 …, p99 …, max … (n=…)" of millisecond samples. */
export function stats(xs: number[]): string {
  if (xs.length === 0) return "no samples";
  const s = [...xs].sort((a, b) => a - b);
  const q = (p: number) => s[Math.min(s.length - 1, Math.floor(p * (s.length - 1)))];
  return `median ${q(0.5).toFixed(1)} ms, p95 ${q(0.95).toFixed(1)} ms, p99 ${q(0.99).toFixed(1)} ms, max ${s[s.length - 1].toFixed(1)} ms (n=${s.length})`;
}
