/**
 * The compare plots of the metrics webview in real Chromium (harness as in
 * webview-chromium.test.ts: the real page, bundle, controller and an in-memory source; only the
 * VS Code webview API is faked). Checks read canvas pixels and the plots' data attributes:
 * repeats grouped to a mean with a band, parallel coordinates with brushing that filters the
 * charts, the scatter's log axis, run-level metrics as bars, per-label metrics in one chart.
 */
import { describe, test } from "node:test";
import assert from "node:assert/strict";
import type { Page } from "playwright-core";
import { chromiumSkip, useWebviewHarness } from "../../test/webview/harness/chromium-page";
import type { TestWindow } from "../../test/webview/harness/page";
import type { PanelSettings } from "../../client/src/webview/contract";

let harness: ReturnType<typeof useWebviewHarness>;

/** 2 trials x 5 repeats; lr differs per trial; loss series 300 steps; test_acc at run scope. */
async function openSweep(extra: string = "", settings?: PanelSettings) {
  const hp = await harness.newPage();
  await hp.page.evaluate(
    ([extra, settings]) => {
      const h = (window as unknown as TestWindow).__harness;
      const runs = [];
      let id = 0;
      for (const [t, lr] of [
        [0, 0.1],
        [1, 0.001],
      ] as const)
        for (let rep = 0; rep < 5; rep++) {
          id++;
          const loss = h.syntheticSeries("train/loss", 300, { seed: id });
          // Repeats of a trial differ by a constant offset: the band is their spread.
          for (let i = 0; i < loss.values.length; i++)
            loss.values[i] = (t === 0 ? 1 : 3) + rep * 0.25 + Math.sin(i / 30) * 0.1;
          const acc = 0.5 + t * 0.3 + rep * 0.01;
          const testAcc = h.syntheticSeries("test_acc", 1, { scope: "run", seed: id });
          testAcc.values[0] = acc;
          runs.push({
            summary: h.summary(id, {
              trialId: 100 + t,
              trialName: `lr=${lr}`,
              repeat: rep,
              params: { lr, hidden: 32, seed: rep },
              finalMetrics: { val_acc: acc, test_acc: acc, "train/loss": (t === 0 ? 1 : 3) + rep * 0.25 },
            }),
            series: [loss, testAcc],
            checkpoints: [],
          });
        }
      if (extra === "labels") {
        const s = h.syntheticSeries("acc/cat", 20, { scope: "epoch", seed: 1 });
        runs[0].series.push({ ...s, metric: "acc", label: "cat" });
        const d = h.syntheticSeries("acc/dog", 20, { scope: "epoch", seed: 2 });
        for (let i = 0; i < d.values.length; i++) d.values[i] = 0.2;
        runs[0].series.push({ ...d, metric: "acc", label: "dog" });
        // A metric literally named "acc/cat" (no label) is another chart.
        runs[0].series.push(h.syntheticSeries("acc/cat", 20, { scope: "epoch", seed: 3 }));
      }
      h.start({ kind: "experiment", experimentId: 1 }, runs, { settings });
    },
    [extra, settings] as const,
  );
  await hp.page.waitForFunction(
    () =>
      ((window as unknown as TestWindow).__metrics.chartState().find((c) => c.id === "batch:train/loss")?.drawnPoints ??
        0) > 0,
    undefined,
    { timeout: 20_000 },
  );
  await settle(hp.page);
  // The compare section starts folded (the charts stay in view); unfold it.
  await hp.page.evaluate(() => ((document.querySelector("details.compare") as HTMLDetailsElement).open = true));
  await settle(hp.page);
  return hp;
}

async function settle(page: Page): Promise<void> {
  await page.evaluate(
    () => new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(() => setTimeout(r, 0)))),
  );
}

/** Pixels of a chart's canvas that are translucent (band fills), and opaque (lines). */
/** Charts draw only when on screen: scroll one into view and let it redraw. */
async function inView(page: Page, chart: string): Promise<void> {
  await page.locator(`[data-chart="${chart}"]`).scrollIntoViewIfNeeded();
  await settle(page);
  await settle(page);
}

async function inkOf(page: Page, chart: string): Promise<{ translucent: number; opaque: number }> {
  await inView(page, chart);
  return page.evaluate((chart) => {
    const c = (window as unknown as TestWindow).__metrics.chart(chart)!.canvas as HTMLCanvasElement;
    const d = c.getContext("2d")!.getImageData(0, 0, c.width, c.height).data;
    let translucent = 0;
    let opaque = 0;
    for (let i = 3; i < d.length; i += 4) {
      if (d[i] > 20 && d[i] < 90) translucent++;
      else if (d[i] > 200) opaque++;
    }
    return { translucent, opaque };
  }, chart);
}

async function setSetting(page: Page, id: string, value: string | boolean): Promise<void> {
  await page.evaluate(
    ({ id, value }) => {
      const e = document.getElementById(id) as HTMLInputElement | HTMLSelectElement;
      if (typeof value === "boolean") (e as HTMLInputElement).checked = value;
      else e.value = value;
      e.dispatchEvent(new Event("change"));
    },
    { id, value },
  );
  await settle(page);
}

async function summaryOf(page: Page, chart: string): Promise<string> {
  await inView(page, chart);
  return page.evaluate((chart) => {
    const root = document.querySelector(`[data-chart="${chart}"]`)!;
    return document.getElementById(root.getAttribute("aria-describedby")!)!.textContent ?? "";
  }, chart);
}

describe("metrics webview: compare plots in Chromium", { skip: chromiumSkip }, () => {
  harness = useWebviewHarness();

  test("group by trial: a mean line with a band per trial; ±1 std is narrower than min-max; single runs on request", async () => {
    const { page, errors } = await openSweep();
    const chart = "batch:train/loss";
    const plain = await inkOf(page, chart);
    await setSetting(page, "group-by", "trial");
    const minmax = await inkOf(page, chart);
    // Faint raw lines are translucent too; the bands fill a third of the plot.
    assert.ok(minmax.translucent > plain.translucent + 20_000, `bands filled: ${JSON.stringify({ plain, minmax })}`);
    const text = await summaryOf(page, chart);
    assert.match(text, /lr=0\.1: mean of 5 runs with a min–max band/);
    assert.match(text, /lr=0\.001: mean of 5 runs/);
    await inView(page, chart);
    const grouped = await page.evaluate(
      () => (window as unknown as TestWindow).__metrics.chart("batch:train/loss")!.drawnPoints,
    );
    await setSetting(page, "band", "std");
    const std = await inkOf(page, chart);
    assert.ok(
      std.translucent > plain.translucent + 10_000 && std.translucent < minmax.translucent,
      `std band narrower: ${std.translucent} < ${minmax.translucent}`,
    );
    await setSetting(page, "show-group-runs", true);
    await inView(page, chart);
    const withRuns = await page.evaluate(
      () => (window as unknown as TestWindow).__metrics.chart("batch:train/loss")!.drawnPoints,
    );
    assert.ok(withRuns > grouped + 10 * 100, `single runs drawn too: ${withRuns} > ${grouped}`);
    // Grouping by a parameter: lr splits the runs the same way as the trials here.
    await setSetting(page, "group-by", "param:lr");
    assert.match(await summaryOf(page, chart), /lr=0\.001: mean of 5 runs/);
    assert.deepEqual(errors, []);
    await page.close();
  });

  test("run-level metrics are bars, one per run, never a one-point line", async () => {
    const { page, errors } = await openSweep();
    await page.locator('[data-chart="run:test_acc"]').scrollIntoViewIfNeeded();
    await page.waitForFunction(
      () => (window as unknown as TestWindow).__metrics.chart("run:test_acc")?.drawnPoints === 10,
      undefined,
      {
        timeout: 10_000,
      },
    );
    const bars = await page.evaluate(() => {
      const c = (window as unknown as TestWindow).__metrics.chart("run:test_acc")!.canvas as HTMLCanvasElement;
      return {
        bars: c.dataset.bars,
        tag: c.tagName,
        opaque: (() => {
          const d = c.getContext("2d")!.getImageData(0, 0, c.width, c.height).data;
          let n = 0;
          for (let i = 3; i < d.length; i += 4) if (d[i] > 200) n++;
          return n;
        })(),
      };
    });
    assert.equal(bars.bars, "10");
    assert.ok(bars.opaque > 3000, `bars have area: ${bars.opaque} px`);
    assert.equal(await page.locator('[data-chart="run:test_acc"] .u-wrap').count(), 0, "no uPlot line chart");
    assert.deepEqual(errors, []);
    await page.close();
  });

  test("parallel coordinates: axes for varying params and chosen metrics; a brush filters the charts", async () => {
    const { page, errors } = await openSweep();
    await page.evaluate(() => (window as unknown as TestWindow).__metrics.compare.render());
    const axes = await page.evaluate(
      () => (window as unknown as TestWindow).__metrics.compare.parallel.canvas.dataset.axes,
    );
    // lr and seed vary, hidden does not; val_acc and test_acc chosen first.
    assert.equal(axes, "param:lr,param:seed,metric:test_acc,metric:val_acc");
    const shown = () =>
      page.evaluate(() => (window as unknown as TestWindow).__metrics.compare.parallel.canvas.dataset.shownRuns);
    assert.equal(await shown(), "10");
    const linesBefore = (await summaryOf(page, "batch:train/loss")).match(/points drawn/g)?.length;
    assert.equal(linesBefore, 10);
    // Brush the lr axis's top half: only the lr=0.1 trial's five runs remain.
    await page.evaluate(() => (window as unknown as TestWindow).__metrics.compare.parallel.brush(0, [0.5, 1]));
    await settle(page);
    assert.equal(await shown(), "5");
    assert.equal(
      (await summaryOf(page, "batch:train/loss")).match(/points drawn/g)?.length,
      5,
      "charts follow the brush",
    );
    // Dragging with the mouse on the val_acc axis (higher accuracies only).
    const box = await page.locator(".parallel canvas").boundingBox();
    assert.ok(box);
    await page.locator(".parallel canvas").scrollIntoViewIfNeeded();
    await page.evaluate(() => (window as unknown as TestWindow).__metrics.compare.parallel.brush(0, null));
    await settle(page);
    assert.equal(await shown(), "10");
    const b = (await page.locator(".parallel canvas").boundingBox())!;
    const x = b.x + 48 + (b.width - 48 - 64) * 1; // last axis (val_acc)
    await page.mouse.move(x, b.y + 20);
    await page.mouse.down();
    await page.mouse.move(x, b.y + 80, { steps: 4 });
    await page.mouse.up();
    await settle(page);
    assert.equal(await shown(), "5", "the five runs of the better trial by val_acc");
    // Moves that arrive within one frame are applied once, at the last position: three moves
    // dispatched in one task, from a range keeping every run to one keeping the better five.
    await page.mouse.move(0, 0); // the real pointer off the plot: only these events move the brush
    const coalesced = await page.evaluate(async () => {
      const pc = (window as unknown as TestWindow).__metrics.compare.parallel;
      const c = pc.canvas as HTMLCanvasElement;
      pc.brush(3, null); // (the runs table above grows back: the plot moves down)
      const r = c.getBoundingClientRect();
      const x = r.left + 48 + (r.width - 48 - 64); // the val_acc axis
      const at = (type: string, y: number) =>
        c.dispatchEvent(new PointerEvent(type, { clientX: x, clientY: r.top + y, buttons: 1, bubbles: true }));
      const before = pc.stats.brushes;
      at("pointerdown", 20);
      at("pointermove", 270); // the whole axis
      at("pointermove", 200);
      at("pointermove", 80); // the top part only
      const now = { applied: pc.stats.brushes - before, shown: c.dataset.shownRuns };
      await new Promise((done) => requestAnimationFrame(() => setTimeout(done, 0)));
      const later = { applied: pc.stats.brushes - before, shown: c.dataset.shownRuns };
      at("pointerup", 80);
      return { now, later };
    });
    assert.deepEqual(coalesced.now, { applied: 0, shown: "10" }, "nothing applied before the frame");
    assert.deepEqual(coalesced.later, { applied: 1, shown: "5" }, "one brush, at the last position");
    await settle(page);
    assert.equal(await shown(), "5");
    await page.click("#clear-brushes");
    await settle(page);
    assert.equal(await shown(), "10");
    assert.deepEqual(errors, []);
    await page.close();
  });

  test("compare choices, grouping and band come back when the panel is opened again", async () => {
    const first = await openSweep();
    const change = (selector: string, value: string | boolean) =>
      first.page.evaluate(
        ([selector, value]) => {
          const e = document.querySelector(selector) as HTMLInputElement | HTMLSelectElement;
          if (typeof value === "boolean") (e as HTMLInputElement).checked = value;
          else e.value = value;
          e.dispatchEvent(new Event("change"));
        },
        [selector, value] as const,
      );
    // As a user does it: drop the val_acc axis, test_acc's best value, another scatter metric,
    // grouped by trial with a ±1 std band.
    await change('[aria-label="Axis for val_acc"]', false);
    await change('[aria-label="test_acc: last or best value"]', "best");
    await change("#scatter-y", "train/loss");
    await change("#group-by", "trial");
    await change("#band", "std");
    await settle(first.page);
    const axes = () =>
      first.page.evaluate(() => (window as unknown as TestWindow).__metrics.compare.parallel.canvas.dataset.axes);
    assert.equal(await axes(), "param:lr,param:seed,metric:test_acc");
    // What the extension holds (and keeps in the workspace state when the panel closes).
    const saved = await first.page.evaluate(() => (window as unknown as TestWindow).__harness.controller!.settings);
    assert.deepEqual(saved.compare, {
      metrics: [{ key: "test_acc", pick: "best", direction: "max" }],
      scatterX: "lr",
      scatterY: "train/loss",
    });
    assert.equal(saved.groupBy, "trial");
    assert.equal(saved.band, "std");
    await first.page.close();

    const again = await openSweep("", saved);
    const state = await again.page.evaluate(() => ({
      axes: (window as unknown as TestWindow).__metrics.compare.parallel.canvas.dataset.axes,
      valAcc: (document.querySelector('[aria-label="Axis for val_acc"]') as HTMLInputElement).checked,
      pick: (document.querySelector('[aria-label="test_acc: last or best value"]') as HTMLSelectElement).value,
      scatterY: (document.getElementById("scatter-y") as HTMLSelectElement).value,
      groupBy: (document.getElementById("group-by") as HTMLSelectElement).value,
      band: (document.getElementById("band") as HTMLSelectElement).value,
    }));
    assert.deepEqual(state, {
      axes: "param:lr,param:seed,metric:test_acc",
      valAcc: false,
      pick: "best",
      scatterY: "train/loss",
      groupBy: "trial",
      band: "std",
    });
    assert.deepEqual(again.errors, []);
    await again.page.close();
  });

  test("per-label metrics: one chart per metric, a line per label with a legend; live points keep their label", async () => {
    const { page, errors } = await openSweep("labels");
    const ids = await page.evaluate(() => (window as unknown as TestWindow).__metrics.chartState().map((c) => c.id));
    assert.ok(ids.includes("epoch:acc"), `one chart for the metric: ${ids}`);
    assert.ok(ids.includes("epoch:acc/cat"), "a total named like a label series keeps its own chart");
    assert.ok(!ids.includes("epoch:acc/dog"), "no chart per label");
    await inView(page, "epoch:acc");
    await page.waitForFunction(
      () => (window as unknown as TestWindow).__metrics.chart("epoch:acc")!.drawnPoints >= 40,
      undefined,
      {
        timeout: 10_000,
      },
    );
    const legend = await page.locator('[data-chart="epoch:acc"] .chart-legend .legend-label').allTextContents();
    assert.deepEqual(legend, ["cat", "dog"]);
    assert.match(await summaryOf(page, "epoch:acc"), /· cat: 20 points drawn.*· dog: 20 points drawn/);
    // Live: the label series and the total of the same joined name each get their own point.
    await page.evaluate(() => {
      const h = (window as unknown as TestWindow).__harness;
      const t = 1_700_000_100_000;
      h.log(1, [
        { key: "acc/cat", metric: "acc", label: "cat", scope: "epoch", step: 20, value: 0.99, time: t },
        { key: "acc/cat", scope: "epoch", step: 20, value: 42, time: t },
      ]);
    });
    await page.waitForFunction(
      () => {
        const app = (window as unknown as TestWindow).__metrics;
        const labelled = app.store.labelled(1, "epoch", "acc").find((s) => s.label === "cat");
        return labelled?.length === 21 && app.store.get(1, "epoch", "acc/cat")?.length === 21;
      },
      undefined,
      { timeout: 10_000 },
    );
    const last = await page.evaluate(() => {
      const app = (window as unknown as TestWindow).__metrics;
      const cat = app.store.labelled(1, "epoch", "acc").find((s) => s.label === "cat");
      const total = app.store.get(1, "epoch", "acc/cat");
      return [cat!.values[cat!.length - 1], total!.values[total!.length - 1]];
    });
    assert.deepEqual(last, [0.99, 42]);
    assert.match(await summaryOf(page, "epoch:acc"), /· cat: 21 points drawn/);
    assert.deepEqual(errors, []);
    await page.close();
  });

  test("scatter: a parameter spanning decades gets a log axis", async () => {
    const { page, errors } = await openSweep();
    await setSetting(page, "scatter-x", "lr");
    await setSetting(page, "scatter-y", "val_acc");
    await page.evaluate(() => (window as unknown as TestWindow).__metrics.compare.render());
    const c = await page.evaluate(() => ({
      ...(window as unknown as TestWindow).__metrics.compare.scatter.canvas.dataset,
    }));
    assert.equal(c.scales, "log,linear");
    assert.equal(c.points, "10");
    assert.deepEqual(errors, []);
    await page.close();
  });
});
