import * as fs from "node:fs";
import * as path from "node:path";
import { Level, Metric, MetricCategory, getMetricCategory, isMetric } from "../common/enums";
import type { Environment } from "../env/environment";
import { Callback } from "../pipeline/callback";
import type { MetricDict } from "../pipeline/pipeline";
import { customPairs } from "../tracking/tracker-manager";

/**
 * Writes `<run>/artifacts/metrics.log`, a CSV despite its name (the original's layout):
 * header `type,<key>...` in first-seen order, one `EPOCH` row per epoch (`nan` where a key has
 * no value), then one `FINAL` row with each key's last value. Final-only metrics appear in the
 * first EPOCH row of their column and in FINAL, as in the original. The file is rewritten at
 * each epoch end too, so a failed run still leaves its curves.
 *
 * A Callback despite its name: the Python original's callback is called MetricsTracker, and
 * configs name it (`callbacks: [{ type: MetricsTracker }]`), so the name stays. Trackers (the
 * `Tracker` subclasses, such as DBTracker or the CLI's ProgressTracker) receive every tracked
 * point; callbacks like this one see the pipeline's metric dicts at level ends.
 */
export class MetricsTracker extends Callback {
  readonly metrics = new Map<string, unknown[]>();

  static override fromConfig(_config: Record<string, unknown>, env: Environment): MetricsTracker {
    return new MetricsTracker(env);
  }

  get filePath(): string {
    return path.join(this.env.artifactDir, "metrics.log");
  }

  override onStart(): void {
    this.metrics.clear();
  }

  override onEpochEnd(epochIdx: number, metrics: MetricDict): boolean {
    const names: string[] = [];
    this.collect(metrics, (name, value) => {
      this.push(name, value);
      names.push(`${name}=${String(value)}`);
    });
    this.env.logger.info(`Epoch ${epochIdx} metrics - ${names.join(", ")}`);
    this.write(false);
    return false;
  }

  override onEnd(runMetrics: MetricDict): void {
    this.collect(runMetrics, (name, value) => this.push(name, value));
    this.write(true);
    // A callback used on its own (tests, a notebook) may have an environment without trackers.
    this.env.trackerManager?.onAddArtifact(Level.TRIAL_RUN, this.filePath, "metrics");
  }

  getLatest(key: Metric | string, fallback?: unknown): unknown {
    const values = this.metrics.get(key);
    return values && values.length > 0 ? values[values.length - 1] : fallback;
  }

  private push(name: string, value: unknown): void {
    let list = this.metrics.get(name);
    if (!list) this.metrics.set(name, (list = []));
    list.push(value);
  }

  private collect(metrics: MetricDict, add: (name: string, value: unknown) => void): void {
    for (const [key, value] of Object.entries(metrics)) {
      if (!isMetric(key)) throw new TypeError(`MetricsTracker: '${key}' is not a Metric.`);
      if (getMetricCategory(key) !== MetricCategory.TRACKED) continue;
      if (key === Metric.CUSTOM) for (const [name, v] of customPairs(value)) add(name, v);
      else add(key, value);
    }
  }

  /** The CSV text: exported for tests and the CLI. */
  toCsv(withFinal: boolean): string {
    const keys = [...this.metrics.keys()];
    const rows = [["type", ...keys].join(",")];
    const maxLen = Math.max(0, ...keys.map((k) => this.metrics.get(k)!.length));
    for (let i = 0; i < maxLen; i++) {
      rows.push(["EPOCH", ...keys.map((k) => csvValue(this.metrics.get(k)![i]))].join(","));
    }
    if (withFinal) rows.push(["FINAL", ...keys.map((k) => csvValue(this.getLatest(k)))].join(","));
    return rows.join("\n") + "\n";
  }

  private write(withFinal: boolean): void {
    try {
      fs.writeFileSync(this.filePath, this.toCsv(withFinal));
    } catch (error) {
      this.env.logger.error(`MetricsTracker: could not write ${this.filePath}: ${(error as Error).message}`);
    }
  }
}

function csvValue(value: unknown): string {
  if (value === undefined || value === null) return "nan";
  if (typeof value === "number") return Number.isNaN(value) ? "nan" : String(value);
  const text = String(value);
  return /[",\n]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
}
