/**
 * Soak of the metrics panel (issue 13.11, the panel's part), in real Chromium through the
 * harness: ten runs one after the other, each streaming 100,000 points at full speed (events of
 * 5,000 points, as the runtime's outbox sends them) into a panel open on the experiment. At the
 * end the panel holds exactly what the data source holds, point for point, and the page's V8
 * heap (objects; the points live in typed-array buffers outside it) after the tenth run stays
 * within 20% of the heap after the first run plus a budget of 200 KB for each further run
 * listed and drawn (its table row, legend entry, bucket records and two aligned columns per
 * chart). A leak per point or per event (10 M points, 200 events here) would exceed it.
 *
 * What is faked: the VS Code host API (test/webview/harness/host.ts). The panel controller that
 * runs in the extension host runs in the page here, so "the page's heap" is webview and
 * controller together. The Experiments tree is not in this page (it lives in the extension
 * host, which the harness has no part of). Figures are printed as `soak:` lines.
 */
import { describe, test } from "node:test";
import assert from "node:assert/strict";
import type { CDPSession, Page } from "playwright-core";
import { chromiumSkip, useWebviewHarness } from "../../test/webview/harness/chromium-page";
import type { TestWindow } from "../../test/webview/harness/page";

const RUNS = 10;
const POINTS = 100_000;
const EVENT = 5_000;
/** Heap a further run may add: its row, legend entry, bucket records, aligned columns. */
const PER_RUN_BYTES = 200 * 1024;

let harness: ReturnType<typeof useWebviewHarness>;

/** V8 heap used after a full collection, and the bytes of the typed arrays holding points (outside it). */
async function heap(page: Page, cdp: CDPSession): Promise<{ used: number; data: number }> {
  await cdp.send("HeapProfiler.collectGarbage");
  await cdp.send("HeapProfiler.collectGarbage");
  const { usedSize } = (await cdp.send("Runtime.getHeapUsage")) as { usedSize: number };
  const data = await page.evaluate(() => {
    let bytes = 0;
    for (const s of (window as unknown as TestWindow).__metrics.store.all()) {
      bytes +=
        s.steps.byteLength + s.values.byteLength + s.times.byteLength + (s.smoothed(0.6) as Float64Array).byteLength;
    }
    for (const r of (window as unknown as TestWindow).__harness.source.runs.values())
      for (const s of r.series) bytes += s.steps.buffer.byteLength * 3;
    return bytes;
  });
  return { used: usedSize, data };
}

/** Streams one run: create, 100,000 points in events of 5,000 (stored first, as the DB tracker does), end. */
async function streamRun(page: Page, run: number): Promise<void> {
  await page.evaluate(
    async ({ run, points, event }) => {
      const h = (window as unknown as TestWindow).__harness;
      h.lifecycle(run, "create", { trialName: `soak-${run}` });
      h.lifecycle(run, "start");
      const S = new Float64Array(points);
      const V = new Float64Array(points);
      const T = new Float64Array(points);
      const stored = {
        key: "train_loss",
        scope: "batch" as const,
        steps: S.subarray(0, 0),
        values: V.subarray(0, 0),
        times: T.subarray(0, 0),
      };
      h.source.runs.get(run)!.series.push(stored);
      const t0 = 1_700_000_000_000 + run * 10_000_000;
      for (let from = 0; from < points; from += event) {
        const batch = [];
        for (let i = from; i < from + event; i++) {
          S[i] = i;
          V[i] = 1 / (1 + i / 10_000) + ((i * 2654435761) % 997) / 10_000 + run / 100;
          T[i] = t0 + i;
          batch.push({ key: "train_loss", scope: "batch" as const, step: i, value: V[i], time: T[i] });
        }
        stored.steps = S.subarray(0, from + event);
        stored.values = V.subarray(0, from + event);
        stored.times = T.subarray(0, from + event);
        h.emit({ v: 1, t: Date.now(), kind: "metrics", ids: { run: `run-${run}` }, points: batch });
        await new Promise((r) => setTimeout(r, 0));
      }
      h.lifecycle(run, "end", { status: "SUCCESS" });
    },
    { run, points: POINTS, event: EVENT },
  );
  await page.waitForFunction(
    ({ run, points }) =>
      (window as unknown as TestWindow).__metrics.store.get(run, "batch", "train_loss")?.length === points,
    { run, points: POINTS },
    { timeout: 60_000 },
  );
  // The run list refresh after the end (500 ms) and its fetch settle.
  await new Promise((r) => setTimeout(r, 1500));
}

describe("metrics panel soak (Chromium)", { skip: chromiumSkip }, () => {
  harness = useWebviewHarness();

  test("10 runs x 100,000 points streamed at full speed: panel equals the source point for point; heap beyond the data stays flat", async () => {
    const { page, errors } = await harness.newPage();
    const cdp = await page.context().newCDPSession(page);
    await page.evaluate(() => {
      const h = (window as unknown as TestWindow).__harness;
      h.recordMessages = false;
      h.start({ kind: "experiment", experimentId: 1 }, [], { flushMs: 250 });
    });
    const started = Date.now();
    await streamRun(page, 1);
    const first = await heap(page, cdp);
    for (let run = 2; run <= RUNS; run++) await streamRun(page, run);
    const last = await heap(page, cdp);
    const seconds = (Date.now() - started) / 1000;

    const mismatches = await page.evaluate((runs) => {
      const h = (window as unknown as TestWindow).__harness;
      const app = (window as unknown as TestWindow).__metrics;
      const out: string[] = [];
      for (let run = 1; run <= runs; run++) {
        const src = h.source.runs.get(run)!.series[0];
        const held = app.store.get(run, "batch", "train_loss");
        if (!held || held.length !== src.steps.length) {
          out.push(`run ${run}: ${held?.length} held, ${src.steps.length} stored`);
          continue;
        }
        for (let i = 0; i < held.length; i++) {
          if (held.steps[i] !== src.steps[i] || held.values[i] !== src.values[i] || held.times[i] !== src.times[i]) {
            out.push(`run ${run} point ${i}`);
            break;
          }
        }
      }
      return out;
    }, RUNS);

    const mb = (b: number) => (b / 1048576).toFixed(2);
    const budget = first.used * 1.2 + (RUNS - 1) * PER_RUN_BYTES;
    console.log(`soak: ${RUNS} runs x ${POINTS.toLocaleString("en")} points streamed in ${seconds.toFixed(1)} s`);
    console.log(
      `soak: V8 heap after run 1 ${mb(first.used)} MB, after run ${RUNS} ${mb(last.used)} MB (budget ${mb(budget)} MB); point buffers ${mb(first.data)} -> ${mb(last.data)} MB`,
    );
    assert.deepEqual(mismatches, [], "panel and source agree point for point");
    assert.ok(last.used <= budget, `V8 heap grew ${mb(first.used)} -> ${mb(last.used)} MB (budget ${mb(budget)} MB)`);
    assert.deepEqual(errors, []);
    await page.close();
  });
});
