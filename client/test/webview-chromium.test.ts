/**
 * The metrics webview in real Chromium (Debian's /usr/bin/chromium via playwright-core).
 * The page is the panel's real HTML (same CSP and nonce) and the real media/dist bundle; the
 * only fake is the VS Code host API (acquireVsCodeApi / message delivery), which cannot run in
 * a plain page — see test/webview/harness/host.ts. Behind it the real PanelController and an
 * in-memory data source answer. Checks read the canvas pixels and the charts' state.
 * A screenshot is saved to test/artifacts/webview-harness.png.
 */
import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { mkdirSync } from "node:fs";
import { join } from "node:path";
import type { Page } from "playwright-core";
import { chromiumSkip, useWebviewHarness, type HarnessPage } from "../../test/webview/harness/chromium-page";
import type { TestWindow } from "../../test/webview/harness/page";
import type { PanelSelection } from "../../client/src/webview/contract";

const ARTIFACTS = join(__dirname, "../../test/artifacts");

let harness: ReturnType<typeof useWebviewHarness>;

/** Colour of runs 1..3 in the harness theme (runColor: orange, green, red). */
const RUN_RGB: Record<number, [number, number, number]> = {
  1: [0xd1, 0x86, 0x16],
  2: [0x89, 0xd1, 0x85],
  3: [0xf1, 0x4c, 0x4c],
};

async function open(
  scenario: string,
  args: unknown[] = [],
  selection: PanelSelection = { kind: "experiment", experimentId: 1 },
  options: { reduce?: boolean } = {},
): Promise<HarnessPage> {
  const hp = await harness.newPage();
  await hp.page.evaluate(
    ({ scenario, args, selection, reduce }) => {
      const h = (window as unknown as TestWindow).__harness;
      if (reduce === false) h.source.reduce = false;
      h.start(selection, h.scenarios[scenario as keyof typeof h.scenarios](...(args as [number])));
    },
    { scenario, args, selection, reduce: options.reduce },
  );
  return hp;
}

async function waitDrawn(page: Page, chart: string): Promise<void> {
  await page.waitForFunction(
    (id) => ((window as unknown as TestWindow).__metrics.chartState().find((c) => c.id === id)?.drawnPoints ?? 0) > 0,
    chart,
    { timeout: 20_000 },
  );
  await settle(page);
}

/** Two animation frames: pending redraws (rAF) and uPlot's microtask draw have happened. */
async function settle(page: Page): Promise<void> {
  await page.evaluate(
    () => new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(() => setTimeout(r, 0)))),
  );
}

/** Counts canvas pixels close to each run's colour (the drawn lines). */
async function colourCounts(page: Page, chart: string): Promise<Record<number, number>> {
  return page.evaluate(
    ({ chart, colours }) => {
      const c = (window as unknown as TestWindow).__metrics.chart(chart)!.canvas as HTMLCanvasElement;
      const data = c.getContext("2d")!.getImageData(0, 0, c.width, c.height).data;
      const out: Record<number, number> = {};
      for (const [id, [r, g, b]] of Object.entries(colours) as [string, number[]][]) {
        let n = 0;
        for (let i = 0; i < data.length; i += 4) {
          if (
            data[i + 3] > 200 &&
            Math.abs(data[i] - r) < 24 &&
            Math.abs(data[i + 1] - g) < 24 &&
            Math.abs(data[i + 2] - b) < 24
          )
            n++;
        }
        out[Number(id)] = n;
      }
      return out;
    },
    { chart, colours: RUN_RGB },
  );
}

async function canvasHash(page: Page, chart: string): Promise<string> {
  return page.evaluate((chart) => {
    const c = (window as unknown as TestWindow).__metrics.chart(chart)!.canvas as HTMLCanvasElement;
    const d = c.getContext("2d")!.getImageData(0, 0, c.width, c.height).data;
    let h = 2166136261;
    for (let i = 0; i < d.length; i += 4) h = Math.imul(h ^ (d[i] + d[i + 1] * 3 + d[i + 2] * 7), 16777619);
    return String(h >>> 0);
  }, chart);
}

async function notices(page: Page): Promise<string> {
  return page.evaluate(() =>
    [...document.querySelectorAll(".notice, .chart-notice")].map((e) => e.textContent).join("\n"),
  );
}

describe("metrics webview in Chromium", { skip: chromiumSkip }, () => {
  harness = useWebviewHarness();

  test("series are drawn in each run's colour, markers and table shown, no CSP or script errors; screenshot saved", async () => {
    const { page, errors } = await open("standard");
    await waitDrawn(page, "batch:train/loss");
    await waitDrawn(page, "epoch:val/acc");
    const counts = await colourCounts(page, "batch:train/loss");
    for (const id of [1, 2, 3]) assert.ok(counts[id] > 200, `run ${id} drawn: ${JSON.stringify(counts)}`);
    assert.equal(await page.locator(".vt-body > .vt-row").count(), 3);
    assert.equal(
      await page.locator('[data-chart="epoch:val/acc"] .marker').count(),
      3,
      "checkpoint markers on the epoch chart",
    );
    assert.deepEqual(await page.locator(".group h2").allTextContents(), ["train", "val"]);
    mkdirSync(ARTIFACTS, { recursive: true });
    await page.screenshot({ path: join(ARTIFACTS, "webview-harness.png"), fullPage: true });
    assert.deepEqual(errors, []);
    await page.close();
  });

  test("drag to zoom redraws a narrower range, double-click resets; keyboard zoom too", async () => {
    const { page } = await open("standard");
    await waitDrawn(page, "batch:train/loss");
    const before = await canvasHash(page, "batch:train/loss");
    const over = page.locator('[data-chart="batch:train/loss"] .u-over');
    const box = (await over.boundingBox())!;
    await page.mouse.move(box.x + box.width * 0.4, box.y + box.height / 2);
    await page.mouse.down();
    await page.mouse.move(box.x + box.width * 0.6, box.y + box.height / 2, { steps: 5 });
    await page.mouse.up();
    await settle(page);
    const zoomed = await page.evaluate(
      () => (window as unknown as TestWindow).__metrics.chart("batch:train/loss")!.zoomed,
    );
    assert.ok(zoomed && zoomed[0] > 1000 && zoomed[1] < 4000, `zoomed to ${zoomed}`);
    assert.notEqual(await canvasHash(page, "batch:train/loss"), before);
    // The accessible summary and data attributes follow the zoom.
    const chartEl = page.locator('[data-chart="batch:train/loss"]');
    assert.equal(await chartEl.getAttribute("data-x-range"), zoomed.join(","));
    const summary = await page.locator(`#${await chartEl.getAttribute("aria-describedby")}`).textContent();
    assert.match(
      summary!,
      /^train\/loss \(batch\); step \d+(\.\d+)? to \d+(\.\d+)? \(zoomed\); smoothing 0\.\d\d; .+: \d+ points drawn, last smoothed value /,
    );
    await over.dblclick({ position: { x: box.width / 2, y: box.height / 2 } });
    await settle(page);
    assert.equal(
      await page.evaluate(() => (window as unknown as TestWindow).__metrics.chart("batch:train/loss")!.zoomed),
      null,
    );
    assert.equal(await canvasHash(page, "batch:train/loss"), before);
    await page.locator('[data-chart="batch:train/loss"]').focus();
    await page.keyboard.press("+");
    await settle(page);
    assert.ok(await page.evaluate(() => (window as unknown as TestWindow).__metrics.chart("batch:train/loss")!.zoomed));
    await page.keyboard.press("Escape");
    await settle(page);
    assert.equal(
      await page.evaluate(() => (window as unknown as TestWindow).__metrics.chart("batch:train/loss")!.zoomed),
      null,
    );
    await page.close();
  });

  test("the smoothing slider changes what is drawn, and the setting is persisted for restore", async () => {
    const { page } = await open("standard");
    await waitDrawn(page, "batch:train/loss");
    const slider = page.locator("#smoothing");
    await slider.focus();
    await page.keyboard.press("Home"); // smoothing 0: the bold line is the noisy raw series
    await settle(page);
    const raw = await colourCounts(page, "batch:train/loss");
    await page.keyboard.press("End"); // 0.99: a smooth line covers far fewer pixels
    await settle(page);
    const smooth = await colourCounts(page, "batch:train/loss");
    for (const id of [1, 2, 3]) assert.ok(smooth[id] < raw[id] * 0.8, `run ${id}: ${raw[id]} -> ${smooth[id]} pixels`);
    const state = (await page.evaluate(() => (window as unknown as TestWindow).__harness.state)) as {
      settings: { smoothing: number };
      selection: unknown;
    };
    assert.equal(state.settings.smoothing, 0.99);
    assert.deepEqual(state.selection, { kind: "experiment", experimentId: 1 });
    const hostSettings = await page.evaluate(() => (window as unknown as TestWindow).__harness.controller!.settings);
    assert.equal(hostSettings.smoothing, 0.99);
    await page.close();
  });

  test("hover lists every visible run with smoothed and raw value, step and time; legend toggles a run off", async () => {
    const { page } = await open("standard");
    await waitDrawn(page, "batch:train/loss");
    const over = page.locator('[data-chart="batch:train/loss"] .u-over');
    const box = (await over.boundingBox())!;
    await page.mouse.move(box.x + box.width * 0.3, box.y + box.height * 0.5);
    const tip = page.locator('[data-chart="batch:train/loss"] .tooltip');
    await tip.waitFor({ state: "visible" });
    assert.deepEqual(await tip.locator("th").allTextContents(), ["Run", "Smoothed", "Value", "Step", "Relative"]);
    assert.equal(await tip.locator("tbody tr").count(), 3);
    await page.locator(".legend-item", { hasText: "trial-2 #0" }).click();
    await settle(page);
    const counts = await colourCounts(page, "batch:train/loss");
    assert.ok(counts[2] < 20 && counts[1] > 200, JSON.stringify(counts));
    await page.mouse.move(box.x + box.width * 0.3, box.y + box.height * 0.6);
    assert.equal(await tip.locator("tbody tr").count(), 2);
    await page.close();
  });

  test("x axis by relative and wall time, log-scale y: each redraws with the right range", async () => {
    const { page, errors } = await open("standard", [1000]);
    await waitDrawn(page, "batch:train/loss");
    const step = await page.evaluate(
      () => (window as unknown as TestWindow).__metrics.chart("batch:train/loss")!.xRange,
    );
    assert.deepEqual(step, [0, 999]);
    await page.locator("#x-axis").selectOption("relative");
    await settle(page);
    // 1,000 points 10 ms apart from the run's start: about 10 seconds.
    const rel = await page.evaluate(
      () => (window as unknown as TestWindow).__metrics.chart("batch:train/loss")!.xRange,
    );
    assert.ok(Math.abs(rel![0]) < 1e-9 && Math.abs(rel![1] - 9.99) < 1e-6, JSON.stringify(rel));
    await page.locator("#x-axis").selectOption("wall");
    await settle(page);
    const wall = await page.evaluate(
      () => (window as unknown as TestWindow).__metrics.chart("batch:train/loss")!.xRange,
    );
    assert.ok(Math.abs(wall![0] - 1_700_000_000) < 1e-3, JSON.stringify(wall));
    const before = await canvasHash(page, "batch:train/loss");
    await page.locator("#log-y").check();
    await settle(page);
    assert.notEqual(await canvasHash(page, "batch:train/loss"), before);
    const counts = await colourCounts(page, "batch:train/loss");
    for (const id of [1, 2, 3]) assert.ok(counts[id] > 100, JSON.stringify(counts));
    assert.deepEqual(errors, []);
    await page.close();
  });

  test("follows the theme: new colour variables and body class (as on a VS Code theme switch) redraw the charts", async () => {
    const { page } = await open("standard", [500]);
    await waitDrawn(page, "batch:train/loss");
    const blue = async () =>
      page.evaluate(() => {
        const c = (window as unknown as TestWindow).__metrics.chart("batch:train/loss")!.canvas as HTMLCanvasElement;
        const d = c.getContext("2d")!.getImageData(0, 0, c.width, c.height).data;
        let n = 0;
        for (let i = 0; i < d.length; i += 4) if (d[i] < 30 && d[i + 1] < 30 && d[i + 2] > 220 && d[i + 3] > 200) n++;
        return n;
      });
    assert.equal(await blue(), 0);
    await page.evaluate(() => {
      document.documentElement.style.setProperty("--vscode-charts-orange", "#0000ff");
      document.body.className = "vscode-light";
    });
    await settle(page);
    assert.ok((await blue()) > 100, "run 1 is redrawn in the theme's new orange");
    await page.close();
  });

  test("checkpoint markers are buttons that reveal the checkpoint through the host", async () => {
    const { page } = await open("standard");
    await waitDrawn(page, "epoch:val/acc");
    // Three runs have a checkpoint at epoch 20: stacked, each clickable (and keyboard reachable).
    const markers = page.locator('[data-chart="epoch:val/acc"] .marker');
    await markers.nth(0).click();
    await markers.nth(2).focus();
    await page.keyboard.press("Enter");
    await page.waitForFunction(() => (window as unknown as TestWindow).__harness.source.revealed.length === 2);
    const revealed = await page.evaluate(() => (window as unknown as TestWindow).__harness.source.revealed);
    assert.deepEqual(
      revealed.map((r) => r.path),
      ["/ws/ck/run1/epoch20.pt", "/ws/ck/run3/epoch20.pt"],
    );
    await page.close();
  });

  test("live points are appended and drawn; the chart follows the newest step unless zoomed", async () => {
    const { page } = await open("standard", [1000]);
    await waitDrawn(page, "batch:train/loss");
    const emit = (from: number, count: number) =>
      page.evaluate(
        ({ from, count }) => {
          const h = (window as unknown as TestWindow).__harness;
          for (const id of [1, 2, 3]) {
            const points = Array.from({ length: count }, (_, k) => ({
              key: "train/loss",
              scope: "batch" as const,
              step: from + k,
              value: 0.5 + Math.sin(from + k) * 0.1,
              time: Date.now(),
            }));
            h.emit({ v: 1, t: Date.now(), kind: "metrics", ids: { run: `run-${id}` }, points });
          }
          h.emit({
            v: 1,
            t: Date.now(),
            kind: "metrics",
            ids: { run: "run-1" },
            points: [{ key: "custom/new_key", scope: "batch" as const, step: 1, value: 3, time: Date.now() }],
          });
        },
        { from, count },
      );
    await emit(1000, 500);
    await page.waitForFunction(() => {
      const app = (window as unknown as TestWindow).__metrics;
      return app.chart("batch:train/loss")!.canvas && app.chartState().some((c) => c.id === "batch:custom/new_key");
    });
    await page.waitForFunction(() =>
      (window as unknown as TestWindow).__harness.toWebview.some((m) => m.type === "append"),
    );
    await settle(page);
    const maxX = await page.evaluate(() => {
      const app = (window as unknown as TestWindow).__metrics;
      return app.chart("batch:train/loss")!.canvas && app.store.get(1, "batch", "train/loss")?.length;
    });
    assert.equal(maxX, 1500, "run 1 holds the 500 appended points");
    const range = await page.evaluate(
      () => (window as unknown as TestWindow).__metrics.chart("batch:train/loss")!.xRange,
    );
    assert.equal(range![1], 1499, "the x axis follows the newest step");
    const appends = await page.evaluate(
      () => (window as unknown as TestWindow).__harness.toWebview.filter((m) => m.type === "append").length,
    );
    assert.ok(appends <= 3, `coalesced into few messages (${appends})`);
    // Zoom, then more live points: the zoom range stays.
    await page.evaluate(() =>
      (window as unknown as TestWindow).__metrics.chart("batch:train/loss")!.setZoom([100, 200]),
    );
    await emit(1500, 100);
    await page.waitForFunction(
      () => (window as unknown as TestWindow).__metrics.store.get(1, "batch", "train/loss")?.length === 1600,
    );
    await settle(page);
    assert.deepEqual(
      await page.evaluate(() => (window as unknown as TestWindow).__metrics.chart("batch:train/loss")!.zoomed),
      [100, 200],
    );
    assert.deepEqual(
      await page.evaluate(() => (window as unknown as TestWindow).__metrics.chart("batch:train/loss")!.xRange),
      [100, 200],
    );
    await page.close();
  });

  test("bad input: no metrics, NaN/Infinity, one point, wrong-shape message: the panel says so and stays usable", async () => {
    const { page, errors } = await open("bad");
    await waitDrawn(page, "batch:train/loss");
    await waitDrawn(page, "epoch:val/acc");
    const text = await notices(page);
    assert.match(text, /No metrics logged by empty #0/);
    assert.match(text, /nonfinite #0: 1 NaN, 1 \+Infinity, 1 −Infinity not drawn/);
    assert.match(text, /single #0: a single point/);
    const single = await colourCounts(page, "epoch:val/acc");
    assert.ok(single[3] > 4, `the single point is drawn as a dot: ${JSON.stringify(single)}`);
    await page.evaluate(() =>
      (window as unknown as TestWindow).__harness.sendRaw({
        type: "series",
        requestId: 1,
        series: [
          {
            runId: 1,
            key: "x",
            scope: "batch" as const,
            steps: [1, "two"],
            values: [1, 2],
            times: [0, 0],
            totalPoints: 2,
            downsampled: false,
          },
        ],
        errors: [],
      }),
    );
    await page.waitForFunction(() =>
      (window as unknown as TestWindow).__harness.fromWebview.some((m) => m.type === "webviewError"),
    );
    assert.match(
      await notices(page),
      /Ignored a message from the extension: series.series\[0\].steps\[1\]: expected a number, got string/,
    );
    // Still usable: a setting change redraws.
    const before = await canvasHash(page, "batch:train/loss");
    await page.locator("#log-y").check();
    await settle(page);
    assert.notEqual(await canvasHash(page, "batch:train/loss"), before);
    assert.deepEqual(errors, []);
    await page.close();
  });

  test("a 10-million-point series sent whole is drawn faithfully (its spike survives) and the panel stays responsive", async () => {
    const { page, errors } = await open("huge", [10_000_000], { kind: "runs", runIds: [1] }, { reduce: false });
    await waitDrawn(page, "batch:train/loss");
    const state = await page.evaluate(() => (window as unknown as TestWindow).__metrics.chartState()[0]);
    assert.ok(state.drawnPoints < 10_000, `reduced for drawing: ${state.drawnPoints}`);
    // The spike (value 10x the curve) reaches the top: ignore outliers off shows the whole
    // range, smoothing 0 draws the raw series in full colour.
    await page.locator("#outliers").uncheck();
    await page.locator("#smoothing").focus();
    await page.keyboard.press("Home");
    await settle(page);
    const topRows = await page.evaluate(() => {
      const c = (window as unknown as TestWindow).__metrics.chart("batch:train/loss")!.canvas as HTMLCanvasElement;
      const ctx = c.getContext("2d")!;
      const h = c.height;
      let found = 0;
      for (let y = 0; y < h * 0.3; y++) {
        const row = ctx.getImageData(0, y, c.width, 1).data;
        for (let i = 0; i < row.length; i += 4)
          if (row[i] > 150 && row[i + 1] > 100 && row[i + 2] < 80 && row[i + 3] > 200) found++;
      }
      return found;
    });
    assert.ok(topRows > 0, "the spike is drawn near the top of the chart");
    await page.locator("#filter").fill("nothing-matches");
    await page.waitForSelector(".empty");
    assert.match((await page.locator(".empty").textContent()) ?? "", /No metric key matches/);
    assert.deepEqual(errors, []);
    await page.close();
  });

  test("a big series reduced by the host: zooming re-fetches that range at full detail", async () => {
    const { page } = await open("huge", [1_000_000], { kind: "runs", runIds: [1] });
    await waitDrawn(page, "batch:train/loss");
    const first = await page.evaluate(() => (window as unknown as TestWindow).__harness.source.queries.slice());
    assert.deepEqual(first, [{ runId: 1, key: "train/loss", scope: "batch", buckets: 2000 }]);
    assert.match(await notices(page), /1000000 points, reduced for display/);
    await page.evaluate(() =>
      (window as unknown as TestWindow).__metrics.chart("batch:train/loss")!.setZoom([500_000, 501_000]),
    );
    await page.waitForFunction(() => (window as unknown as TestWindow).__harness.source.queries.length === 2);
    const zoomQuery = await page.evaluate(() => (window as unknown as TestWindow).__harness.source.queries[1]);
    assert.equal(zoomQuery.buckets, 2000);
    assert.ok(
      zoomQuery.minStep! <= 500_000 && zoomQuery.maxStep! >= 501_000 && zoomQuery.maxStep! < 510_000,
      JSON.stringify(zoomQuery),
    );
    // The detail has every point of the range (1,001 steps plus neighbours), not the overview's few.
    await page.waitForFunction(() => (window as unknown as TestWindow).__metrics.chartState()[0].drawnPoints >= 1001);
    await page.close();
  });

  test("readable at a narrow width: nothing overflows the page, the chart fits", async () => {
    const hp = await harness.newPage();
    await hp.page.setViewportSize({ width: 360, height: 800 });
    await hp.page.evaluate(() => {
      const h = (window as unknown as TestWindow).__harness;
      h.start({ kind: "experiment", experimentId: 1 }, h.scenarios.standard(500));
    });
    await waitDrawn(hp.page, "batch:train/loss");
    const m = await hp.page.evaluate(() => ({
      scroll: document.documentElement.scrollWidth,
      client: document.documentElement.clientWidth,
      chart: (document.querySelector('[data-chart="batch:train/loss"]') as HTMLElement).getBoundingClientRect().right,
    }));
    assert.ok(m.scroll <= m.client, `page scrolls sideways: ${m.scroll} > ${m.client}`);
    assert.ok(m.chart <= m.client, `chart overflows: ${m.chart} > ${m.client}`);
    mkdirSync(ARTIFACTS, { recursive: true });
    await hp.page.screenshot({ path: join(ARTIFACTS, "webview-harness-narrow.png"), fullPage: true });
    await hp.page.close();
  });

  test("many metric keys: only charts on screen are drawn; scrolling draws the others", async () => {
    const hp = await harness.newPage();
    await hp.page.evaluate(() => {
      const h = (window as unknown as TestWindow).__harness;
      const series = Array.from({ length: 60 }, (_, k) =>
        h.syntheticSeries(`custom/metric_${String(k).padStart(2, "0")}`, 2000, { seed: k + 1, custom: true }),
      );
      h.start({ kind: "runs", runIds: [1] }, [{ summary: h.summary(1), series, checkpoints: [] }]);
    });
    await waitDrawn(hp.page, "batch:custom/metric_00");
    const drawn = async () =>
      hp.page.evaluate(
        () => (window as unknown as TestWindow).__metrics.chartState().filter((c) => c.drawnPoints > 0).length,
      );
    const first = await drawn();
    assert.ok(first > 0 && first < 60, `drawn at first: ${first}`);
    await hp.page.locator('[data-chart="batch:custom/metric_59"]').scrollIntoViewIfNeeded();
    await waitDrawn(hp.page, "batch:custom/metric_59");
    assert.ok((await drawn()) > first);
    await hp.page.close();
  });

  test("exports: CSV and JSON of the shown series and a PNG of a chart reach the host's save", async () => {
    const { page } = await open("standard", [300]);
    await waitDrawn(page, "batch:train/loss");
    await page.locator("#export-csv").click();
    await page.locator("#export-json").click();
    await page.locator('[data-chart="batch:train/loss"] button', { hasText: "PNG" }).click();
    await page.waitForFunction(() => (window as unknown as TestWindow).__harness.exports.length === 3);
    const exports = await page.evaluate(() => (window as unknown as TestWindow).__harness.exports);
    assert.deepEqual(
      exports.map((e) => e.format),
      ["csv", "json", "png"],
    );
    const csv = await page.evaluate(
      () =>
        (
          (window as unknown as TestWindow).__harness.fromWebview.find(
            (m) => m.type === "export" && m.format === "csv",
          ) as { content: string }
        ).content,
    );
    // 3 runs x 300 batch points + 3 runs x 50 epoch points, plus the header.
    assert.equal(csv.trim().split("\n").length, 1 + 3 * 300 + 3 * 50);
    assert.equal(csv.split("\n")[0], "metric,scope,run_id,run,step,time,wall_time_iso,value,smoothed");
    assert.ok(
      csv.includes("\ntrain/loss,batch,1,trial-1 #0,0,") && csv.includes("\nval/acc,epoch,1,trial-1 #0,0,"),
      "each row names its scope",
    );
    await page.waitForFunction(() =>
      /Saved \/tmp\/.+\.csv/.test(document.querySelector(".notices")?.textContent ?? ""),
    );
    assert.ok(exports[2].bytes > 1000, "a real PNG");
    await page.close();
  });

  test("runs table: sort by a metric, only differing params, untick a run to hide it", async () => {
    const { page } = await open("standard", [300]);
    await waitDrawn(page, "batch:train/loss");
    await page.locator(".vt-th", { hasText: "val/acc" }).click();
    await page.locator(".vt-th", { hasText: "val/acc" }).click();
    // Rows are reused while scrolling, so their DOM order is not the shown order: read data-row.
    const runNames = () =>
      page.evaluate(() =>
        [...document.querySelectorAll<HTMLElement>(".vt-pin .vt-row")]
          .sort((a, b) => Number(a.dataset.row) - Number(b.dataset.row))
          .map((r) => r.querySelector(".vt-cell.run")?.textContent),
      );
    assert.deepEqual(await runNames(), ["trial-3 #0", "trial-2 #0", "trial-1 #0"]);
    await page.locator("#only-differing").check();
    const headers = await page.locator(".vt-th").allTextContents();
    assert.ok(headers.includes("lr") && !headers.includes("batch"), headers.join(","));
    await page.locator('.vt-pin .vt-row[data-run="1"] .vt-cell.plot').click();
    await settle(page);
    const counts = await colourCounts(page, "batch:train/loss");
    assert.ok(counts[1] < 20 && counts[3] > 100, JSON.stringify(counts));
    // Every run hidden: empty charts that say so, no errors; "Plot all" brings them back.
    for (const id of [2, 3]) await page.locator(`.vt-pin .vt-row[data-run="${id}"] .vt-cell.plot`).click();
    await settle(page);
    assert.match(await notices(page), /No visible run logs this metric/);
    await page.locator("button", { hasText: "Plot all" }).click();
    await settle(page);
    const back = await colourCounts(page, "batch:train/loss");
    for (const id of [1, 2, 3]) assert.ok(back[id] > 100, JSON.stringify(back));
    await page.close();
  });
});
