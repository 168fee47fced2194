/**
 * Metrics webview benchmark in real Chromium (headless, Debian's /usr/bin/chromium through
 * playwright-core). The page is the panel's real HTML and bundle; only the VS Code host API is
 * faked (see test/webview/harness/host.ts). Prints:
 *  1. time to first draw of 10 runs x 1,000,000 points, from the moment the series message
 *     reaches the webview to the last canvas draw:
 *     a) whole series sent (the host did not reduce: worst case, 10 M points in the webview);
 *     b) series reduced by the host to 2,000 min/max/last buckets (what `expman serve` does);
 *  2. redraw time on zoom (several ranges, with 10 M points held);
 *  3. frame times while 10 live runs append 1,000 points/s each for 10 s.
 * Run: npx tsx test/bench/webview.ts
 */
import { buildBundles, startHarnessServer } from "../webview/harness/server";
import { openHarness, chromiumAvailable, CHROMIUM } from "../webview/harness/browser";
import type { Page } from "playwright-core";

const RUNS = 10;
const POINTS = 1_000_000;

function stats(xs: number[]): string {
  const s = [...xs].sort((a, b) => a - b);
  const q = (p: number) => s[Math.min(s.length - 1, Math.floor(p * (s.length - 1)))];
  return `median ${q(0.5).toFixed(1)} ms, p95 ${q(0.95).toFixed(1)} ms, max ${s[s.length - 1].toFixed(1)} ms (n=${s.length})`;
}

/** Opens a fresh page, loads 10 runs x 1 M points and returns the time to first draw. */
async function firstDraw(page: Page, reduce: boolean): Promise<{ ms: number; drawn: number; chartPoints: number }> {
  return page.evaluate(
    async ({ runs, points, reduce }) => {
      const w = window as any;
      const h = w.__harness;
      const app = w.__metrics;
      h.recordMessages = false;
      h.source.reduce = reduce;
      const receive = app.receive.bind(app);
      let t0 = 0;
      app.receive = (m: any) => {
        if (m && m.type === "series") t0 = performance.now();
        receive(m);
      };
      const stored = [];
      for (let id = 1; id <= runs; id++) {
        stored.push({ summary: h.summary(id), series: [h.syntheticSeries("train/loss", points, { seed: id, spikes: [points / 3, (2 * points) / 3] })], checkpoints: [] });
      }
      h.start({ kind: "experiment", experimentId: 1 }, stored);
      // Wait for the series to arrive and be drawn.
      for (;;) {
        await new Promise((r) => setTimeout(r, 20));
        if (t0 > 0 && app.stats.lastDrawAt > t0 && app.chartState()[0]?.drawnPoints > 0) break;
      }
      const state = app.chartState()[0];
      return { ms: app.stats.lastDrawAt - t0, drawn: state.drawnPoints, chartPoints: points * runs };
    },
    { runs: RUNS, points: POINTS, reduce },
  );
}

async function zoomRedraws(page: Page): Promise<number[]> {
  return page.evaluate(async (points) => {
    const app = (window as any).__metrics;
    const chart = app.chart("batch:train/loss");
    const ranges: [number, number][] = [
      [0, points / 2],
      [points / 4, points / 2],
      [points / 3 - 5000, points / 3 + 5000],
      [100, 200],
      [0, points * 0.9],
      [points * 0.1, points * 0.6],
    ];
    const out: number[] = [];
    for (let round = 0; round < 3; round++) {
      for (const r of ranges) {
        const t0 = performance.now();
        chart.setZoom(r);
        await new Promise((res) => setTimeout(res, 0)); // uPlot draws in a microtask
        out.push(app.stats.lastDrawAt - t0);
        chart.resetZoom();
        await new Promise((res) => setTimeout(res, 0));
      }
    }
    return out;
  }, POINTS);
}

async function liveFrames(page: Page, initial: number): Promise<{ frames: number[]; work: number[]; appended: number; drawn: number }> {
  return page.evaluate(
    async ({ runs, initial }) => {
      const w = window as any;
      const h = w.__harness;
      const app = w.__metrics;
      h.recordMessages = false;
      h.source.reduce = false; // the webview holds every point: the incremental paths are what is measured
      const start = Date.now();
      const stored = [];
      for (let id = 1; id <= runs; id++) {
        const s = h.syntheticSeries("train/loss", initial, { seed: id, start: start - initial * 10 });
        stored.push({ summary: h.summary(id, { status: "RUNNING", endTime: null, startTime: start - initial * 10 }), series: [s], checkpoints: [] });
      }
      h.start({ kind: "experiment", experimentId: 1 }, stored, { flushMs: 250 });
      while (!(app.chartState()[0]?.drawnPoints > 0)) await new Promise((r) => setTimeout(r, 20));
      // 10 runs x 1,000 points/s: the runtime batches events every 100 ms, so 100 points per event.
      let step = initial;
      const timer = setInterval(() => {
        const t = Date.now();
        for (let id = 1; id <= runs; id++) {
          const points = [];
          for (let k = 0; k < 100; k++) points.push({ key: "train/loss", scope: "batch", step: step + k, value: 1 / (1 + (step + k) / 5000) + Math.random() * 0.05, time: t });
          h.emit({ v: 1, t, kind: "metrics", ids: { run: `run-${id}` }, points });
        }
        step += 100;
      }, 100);
      const frames: number[] = [];
      const work: number[] = [];
      let last = performance.now();
      let lastRender = app.stats.renders;
      const until = performance.now() + 10_000;
      await new Promise<void>((resolve) => {
        const tick = (now: number) => {
          frames.push(now - last);
          last = now;
          if (app.stats.renders !== lastRender) {
            lastRender = app.stats.renders;
          }
          if (now < until) requestAnimationFrame(tick);
          else resolve();
        };
        requestAnimationFrame(tick);
        // Work per render: sampled after each draw.
        let seen = app.stats.draws;
        const poll = setInterval(() => {
          if (app.stats.draws !== seen) {
            seen = app.stats.draws;
            work.push(app.stats.lastFrameMs);
          }
          if (performance.now() >= until) clearInterval(poll);
        }, 5);
      });
      clearInterval(timer);
      await new Promise((r) => setTimeout(r, 400));
      return { frames, work, appended: (step - initial) * runs, drawn: app.chartState()[0].drawnPoints };
    },
    { runs: RUNS, initial },
  );
}

async function main(): Promise<void> {
  if (!chromiumAvailable()) {
    console.log(`Chromium not found at ${CHROMIUM}; set CHROMIUM_PATH.`);
    process.exit(1);
  }
  await buildBundles();
  const server = await startHarnessServer();
  try {
    console.log(`metrics webview benchmark: Chromium ${CHROMIUM}, headless, 1200x900, ${RUNS} runs`);
    for (const reduce of [false, true]) {
      const p = await openHarness(server.url);
      try {
        const r = await firstDraw(p.page, reduce);
        console.log(
          `first draw, ${RUNS} x ${POINTS.toLocaleString("en")} points, ${reduce ? "reduced by the host (2,000 buckets/run)" : "whole series in the webview"}: ${r.ms.toFixed(1)} ms after the data arrived (${r.drawn} points drawn)  [target < 300 ms]`,
        );
        if (!reduce) {
          const zooms = await zoomRedraws(p.page);
          console.log(`zoom redraw with ${RUNS * POINTS / 1e6} M points held: ${stats(zooms)}  [target < 50 ms]`);
          if (process.env.BENCH_VERBOSE) console.log(`  each: ${zooms.map((z) => z.toFixed(1)).join(" ")}`);
        }
        if (p.errors.length) console.log(`page errors: ${p.errors.join(" | ")}`);
      } finally {
        await p.close();
      }
    }
    for (const initial of [100_000, 1_000_000]) {
      const p = await openHarness(server.url);
      try {
        const r = await liveFrames(p.page, initial);
        console.log(
          `live: ${RUNS} runs x 1,000 points/s for 10 s on top of ${initial.toLocaleString("en")} held points each (${r.appended.toLocaleString("en")} appended, coalesced to 4 updates/s)`,
        );
        console.log(`  frame interval (rAF): ${stats(r.frames)}  [target: median <= 16 ms at 60 Hz]`);
        console.log(`  work per update (deltas applied, smoothing, downsampling, canvas draw): ${stats(r.work)}`);
        if (p.errors.length) console.log(`page errors: ${p.errors.join(" | ")}`);
      } finally {
        await p.close();
      }
    }
  } finally {
    await server.close();
  }
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
