/**
 * The webview page as tests and benchmarks see it from `page.evaluate`: the panel app that
 * media/src/main.ts exposes, and the harness of host.ts. Type-only (functions passed to
 * `page.evaluate` run in the page, so they can use types, never imports):
 * `(window as unknown as TestWindow).__metrics.chartState()`.
 */
import type { MetricsApp } from "../../../media/src/app";
import type { SeriesStore } from "../../../media/src/logic/series-store";
import type { RunsTable } from "../../../media/src/table/runs-table";
import type { Harness } from "./host";

/**
 * The app's public members, plus the series store and the runs table it keeps private: tests
 * read what the panel holds and shows there on purpose.
 */
export type TestApp = Pick<MetricsApp, keyof MetricsApp> & { store: SeriesStore; table: RunsTable };

export type TestWindow = Window & {
  __metrics: TestApp;
  __harness: Harness;
  /** Scratch values a benchmark leaves in the page between two evaluations. */
  __fillStart?: number;
  __heldAt?: unknown;
};
