/**
 * A panel open through a whole live experiment, in real Chromium, against a panel opened on the
 * same data afterwards: both must hold the same series with the same points, and draw every
 * chart. The experiment is scripted the way the runtime streams one (see harness `log` and
 * `lifecycle`): runs are created one after the other, log batch and epoch points, and log a
 * run-scope `test_loss` when they end, which makes a new chart appear while the next run starts.
 * The data source answers with a delay, like the query service over its pipe, so a run's
 * series can be listed (and fetched) while other runs already hold points. Only the VS Code
 * host API is faked (test/webview/harness/host.ts).
 */
import { describe, test } from "node:test";
import assert from "node:assert/strict";
import type { Page } from "playwright-core";
import { chromiumSkip, useWebviewHarness } from "../../test/webview/harness/chromium-page";
import type { TestWindow } from "../../test/webview/harness/page";

const EXPERIMENT = { kind: "experiment", experimentId: 1 } as const;

let harness: ReturnType<typeof useWebviewHarness>;

interface Held {
  id: string;
  steps: number[];
  values: number[];
  times: number[];
}

/** Every series the webview holds, sorted, as plain arrays (NaN kept as null by JSON: compared as such). */
async function held(page: Page): Promise<Held[]> {
  return page.evaluate(() => {
    const app = (window as unknown as TestWindow).__metrics;
    const out: Held[] = [];
    for (const s of app.store.all()) {
      if (s.length === 0) continue;
      out.push({
        id: `${s.runId}|${s.scope}|${s.key}`,
        steps: Array.from(s.steps.subarray(0, s.length)),
        values: Array.from(s.values.subarray(0, s.length)),
        times: Array.from(s.times.subarray(0, s.length)),
      });
    }
    return out.sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
  });
}

async function chartsDrawn(page: Page): Promise<Record<string, number>> {
  return page.evaluate(() =>
    Object.fromEntries((window as unknown as TestWindow).__metrics.chartState().map((c) => [c.id, c.drawnPoints])),
  );
}

/** A hash of each chart's canvas pixels ("none" when the chart has no canvas). */
async function canvasHashes(page: Page): Promise<Record<string, string>> {
  return page.evaluate(() => {
    const app = (window as unknown as TestWindow).__metrics;
    const out: Record<string, string> = {};
    for (const c of app.chartState()) {
      const canvas = app.chart(c.id)!.canvas as HTMLCanvasElement | undefined;
      if (!canvas || canvas.width === 0) {
        out[c.id] = "none";
        continue;
      }
      const d = canvas.getContext("2d")!.getImageData(0, 0, canvas.width, canvas.height).data;
      let h = 2166136261;
      let inked = 0;
      for (let i = 0; i < d.length; i += 4) {
        h = Math.imul(h ^ (d[i] + d[i + 1] * 3 + d[i + 2] * 7 + d[i + 3] * 11), 16777619);
        if (d[i + 3] > 0) inked++;
      }
      out[c.id] = `${h >>> 0}/${inked > 0 ? "inked" : "blank"}`;
    }
    return out;
  });
}

async function settle(page: Page): Promise<void> {
  await page.evaluate(
    () => new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(() => setTimeout(r, 0)))),
  );
}

/**
 * Runs the scripted experiment in the page: `runs` runs one after the other, each `epochs`
 * epochs of `batches` batch points, an epoch-scope val_loss per epoch and a run-scope
 * test_loss at its end. Events are spaced like a fast pipeline (a few ms per batch).
 */
async function liveExperiment(page: Page, runs: number, epochs: number, batches: number): Promise<void> {
  await page.evaluate(
    async ({ runs, epochs, batches }) => {
      const h = (window as unknown as TestWindow).__harness;
      const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
      let t = 1_700_000_000_000;
      for (let run = 1; run <= runs; run++) {
        h.lifecycle(run, "create", { startTime: t, trialName: `trial-${run}` });
        h.lifecycle(run, "start");
        let step = 0;
        for (let epoch = 0; epoch < epochs; epoch++) {
          for (let b = 0; b < batches; b += 10) {
            const points = [];
            for (let k = 0; k < 10; k++, step++)
              points.push({
                key: "train_loss",
                scope: "batch" as const,
                step,
                value: 1 / (1 + step / 50) + run / 100 + (step % 7) / 1000,
                time: (t += 5),
              });
            h.log(run, points);
            await sleep(8);
          }
          h.log(run, [
            { key: "train_loss", scope: "epoch", step: epoch, value: 1 / (1 + epoch) + run / 100, time: (t += 5) },
            { key: "val_loss", scope: "epoch", step: epoch, value: 1.1 / (1 + epoch) + run / 100, time: t },
          ]);
          await sleep(20);
        }
        h.log(run, [{ key: "test_loss", scope: "run", value: 0.5 + run / 10, time: (t += 5) }]);
        h.lifecycle(run, "end", { status: "SUCCESS", endTime: t });
      }
    },
    { runs, epochs, batches },
  );
}

describe("metrics webview through a live experiment (Chromium)", { skip: chromiumSkip }, () => {
  harness = useWebviewHarness();

  test("a panel open through a multi-run experiment ends identical to one opened afterwards; no chart collapses", async () => {
    const live = await harness.newPage();
    await live.page.evaluate((selection) => {
      const h = (window as unknown as TestWindow).__harness;
      h.source.latencyMs = 40;
      h.start(selection, [], { flushMs: 100 });
    }, EXPERIMENT);
    await liveExperiment(live.page, 3, 4, 60);
    // The last refresh (500 ms after the last lifecycle event) and fetches settle.
    await live.page.waitForFunction(
      () => {
        const h = (window as unknown as TestWindow).__harness;
        const runs = h.toWebview.filter((m) => m.type === "runs" || m.type === "init").pop();
        return runs && runs.runs.length === 3 && runs.runs.every((r) => r.summary.status === "SUCCESS");
      },
      undefined,
      { timeout: 10_000 },
    );
    await new Promise((r) => setTimeout(r, 600));
    await settle(live.page);
    const stored = await live.page.evaluate(() =>
      [...(window as unknown as TestWindow).__harness.source.runs.values()].map((r) => ({
        summary: r.summary,
        series: r.series.map((s) => ({
          key: s.key,
          scope: s.scope,
          steps: Array.from(s.steps),
          values: Array.from(s.values),
          times: Array.from(s.times),
        })),
        checkpoints: r.checkpoints,
      })),
    );

    const later = await harness.newPage();
    await later.page.evaluate(
      ({ selection, stored }) => {
        const h = (window as unknown as TestWindow).__harness;
        const runs = stored.map((r) => ({
          ...r,
          series: r.series.map((s) => ({
            ...s,
            steps: Float64Array.from(s.steps),
            values: Float64Array.from(s.values),
            times: Float64Array.from(s.times),
          })),
        }));
        h.start(selection, runs);
      },
      { selection: EXPERIMENT, stored },
    );
    await later.page.waitForFunction(
      () =>
        (window as unknown as TestWindow).__metrics.chartState().length === 4 &&
        (window as unknown as TestWindow).__metrics.chartState().every((c) => c.drawnPoints > 0),
      undefined,
      { timeout: 10_000 },
    );
    await settle(later.page);

    const a = await held(live.page);
    const b = await held(later.page);
    assert.deepEqual(
      a.map((s) => `${s.id}:${s.steps.length}`),
      b.map((s) => `${s.id}:${s.steps.length}`),
    );
    assert.equal(a.length, 3 * 4, "3 runs x (batch train_loss, epoch train_loss, epoch val_loss, run test_loss)");
    assert.deepEqual(a, b, "same points, step for step");
    // Every chart draws every run: nothing collapsed to an empty header.
    const drawnLive = await chartsDrawn(live.page);
    assert.deepEqual(drawnLive, await chartsDrawn(later.page));
    assert.deepEqual(Object.keys(drawnLive).sort(), [
      "batch:train_loss",
      "epoch:train_loss",
      "epoch:val_loss",
      "run:test_loss",
    ]);
    for (const [id, n] of Object.entries(drawnLive)) assert.ok(n > 0, `${id} draws points`);
    // Drawn the same, pixel for pixel (a chart broken mid-run keeps an empty or stale canvas).
    assert.deepEqual(await canvasHashes(live.page), await canvasHashes(later.page));
    assert.deepEqual(live.errors, [], "no script errors in the live panel");
    assert.deepEqual(later.errors, []);
    const webviewErrors = await live.page.evaluate(() =>
      (window as unknown as TestWindow).__harness.fromWebview
        .filter((m) => m.type === "webviewError")
        .map((m) => m.message),
    );
    assert.deepEqual(webviewErrors, []);
    await live.page.close();
    await later.page.close();
  });

  test("'No metrics logged' names only finished runs without metrics, and leaves when they log", async () => {
    const { page, errors } = await harness.newPage();
    const notices = () =>
      page.evaluate(() => [...document.querySelectorAll(".notice")].map((e) => e.firstElementChild?.textContent ?? ""));
    // Opened on an experiment whose three runs are planned (QUEUED) and have logged nothing.
    await page.evaluate((selection) => {
      const h = (window as unknown as TestWindow).__harness;
      for (const run of [1, 2, 3]) h.lifecycle(run, "create", { trialName: `t${run}`, status: "QUEUED" });
      h.start(selection, [], { flushMs: 100 });
    }, EXPERIMENT);
    await page.locator('.vt-body > .vt-row[data-run="3"]').waitFor();
    assert.deepEqual(await notices(), [], "queued runs without points are no news");
    // Runs 1 and 2 run and log; run 3 ends SUCCESS having logged nothing.
    await page.evaluate(async () => {
      const h = (window as unknown as TestWindow).__harness;
      for (const run of [1, 2]) {
        h.lifecycle(run, "start", { status: "RUNNING" });
        h.log(run, [{ key: "val_acc", scope: "epoch", step: 0, value: 0.5 + run / 10, time: 1_700_000_000_000 + run }]);
        await new Promise((r) => setTimeout(r, 50));
        h.lifecycle(run, "end", { status: "SUCCESS", endTime: 1_700_000_000_100 + run });
      }
      h.lifecycle(3, "start", { status: "RUNNING" });
      h.lifecycle(3, "end", { status: "SUCCESS", endTime: 1_700_000_000_200 });
    });
    await page.waitForFunction(
      () =>
        [...document.querySelectorAll(".vt-body > .vt-row")].filter((r) => /SUCCESS/.test(r.textContent ?? ""))
          .length === 3,
      undefined,
      { timeout: 10_000 },
    );
    await page.waitForFunction(
      () => [...document.querySelectorAll(".notice")].some((e) => /No metrics logged/.test(e.textContent ?? "")),
      undefined,
      { timeout: 5_000 },
    );
    const said = (await notices()).filter((t) => /No metrics logged/.test(t));
    assert.equal(said.length, 1, said.join("\n"));
    assert.match(said[0], /t3 #0/);
    assert.doesNotMatch(said[0], /t1 #0|t2 #0/, "runs that logged are not named");
    assert.deepEqual(errors, []);
    await page.close();
  });

  test("the runs table follows a run while it is running, not only when it ends", async () => {
    const { page, errors } = await harness.newPage();
    await page.evaluate((selection) => {
      const h = (window as unknown as TestWindow).__harness;
      h.start(selection, [], { flushMs: 100 });
      h.lifecycle(1, "create", { trialName: "live" });
      h.lifecycle(1, "start");
    }, EXPERIMENT);
    await page.locator('.vt-body > .vt-row[data-run="1"]').waitFor();
    // Points keep coming, no lifecycle event: the table shows the newest value within seconds.
    await page.evaluate(async () => {
      const h = (window as unknown as TestWindow).__harness;
      for (let step = 0; step < 40; step++) {
        h.log(1, [{ key: "val_acc", scope: "epoch", step, value: 0.5 + step / 100, time: 1_700_000_000_000 + step }]);
        await new Promise((r) => setTimeout(r, 100));
      }
    });
    await page.waitForFunction(() => document.querySelector(".vt-scroll")?.textContent?.includes("0.89"), undefined, {
      timeout: 5_000,
    });
    const status = await page.locator('.vt-body > .vt-row[data-run="1"]').textContent();
    assert.match(status ?? "", /RUNNING/);
    assert.deepEqual(errors, []);
    await page.close();
  });
});
