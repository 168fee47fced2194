/**
 * Metrics webview benchmark in real Chromium (headless, Debian's /usr/bin/chromium through
 * playwright-core). The page is the panel's real HTML and bundle; only the VS Code host API is
 * faked (see test/webview/harness/host.ts). Prints:
 *  1. time to first draw of 10 runs x 1,000,000 points, from the moment the series message
 *     reaches the webview to the last canvas draw:
 *     a) whole series sent (the host did not reduce: worst case, 10 M points in the webview);
 *     b) series reduced by the host to 2,000 min/max/last buckets (what `expman serve` does);
 *  2. redraw time on zoom (several ranges, with 10 M points held);
 *  3. frame times while 10 live runs append 1,000 points/s each for 10 s;
 *  4. frames while 10 runs each grow from 0 to 1,200,000 held points at 100,000 points/s,
 *     max and p99 per held size (target: no frame over 100 ms at any size).
 * Run: npx tsx test/bench/webview.ts   (BENCH_ONLY=live: phases 3 and 4 only)
 */
import { CHROMIUM, startBenchHarness } from "../webview/harness/chromium-page";
import { loadAverage, stats } from "./figures";
import type { Page } from "playwright-core";
import type { TestWindow } from "../webview/harness/page";

const RUNS = 10;
const POINTS = 1_000_000;
const FILL_TO = 1_200_000;
const FILL_PER_TICK = 10_000;

/** Opens a fresh page, loads 10 runs x 1 M points and returns the time to first draw. */
async function firstDraw(page: Page, reduce: boolean): Promise<{ ms: number; drawn: number; chartPoints: number }> {
  return page.evaluate(
    async ({ runs, points, reduce }) => {
      const w = window as unknown as TestWindow;
      const h = w.__harness;
      const app = w.__metrics;
      h.recordMessages = false;
      h.source.reduce = reduce;
      const receive = app.receive.bind(app);
      let t0 = 0;
      app.receive = (m: unknown) => {
        if ((m as { type?: string } | null)?.type === "series") t0 = performance.now();
        receive(m);
      };
      const stored = [];
      for (let id = 1; id <= runs; id++) {
        stored.push({
          summary: h.summary(id),
          series: [h.syntheticSeries("train/loss", points, { seed: id, spikes: [points / 3, (2 * points) / 3] })],
          checkpoints: [],
        });
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
    const app = (window as unknown as TestWindow).__metrics;
    const chart = app.chart("batch:train/loss")!;
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

async function liveFrames(
  page: Page,
  initial: number,
): Promise<{ frames: number[]; work: number[]; appended: number; drawn: number }> {
  return page.evaluate(
    async ({ runs, initial }) => {
      const w = window as unknown as TestWindow;
      const h = w.__harness;
      const app = w.__metrics;
      h.recordMessages = false;
      h.source.reduce = false; // the webview holds every point: the incremental paths are what is measured
      const start = Date.now();
      const stored = [];
      for (let id = 1; id <= runs; id++) {
        const s = h.syntheticSeries("train/loss", initial, { seed: id, start: start - initial * 10 });
        stored.push({
          summary: h.summary(id, { status: "RUNNING", endTime: null, startTime: start - initial * 10 }),
          series: [s],
          checkpoints: [],
        });
      }
      h.start({ kind: "experiment", experimentId: 1 }, stored, { flushMs: 250 });
      while (!(app.chartState()[0]?.drawnPoints > 0)) await new Promise((r) => setTimeout(r, 20));
      await new Promise((r) => setTimeout(r, 200));
      performance.mark("live-start");
      // 10 runs x 1,000 points/s: the runtime batches events every 100 ms, so 100 points per event.
      let step = initial;
      const timer = setInterval(() => {
        const t = Date.now();
        for (let id = 1; id <= runs; id++) {
          const points = [];
          for (let k = 0; k < 100; k++)
            points.push({
              key: "train/loss",
              scope: "batch" as const,
              step: step + k,
              value: 1 / (1 + (step + k) / 5000) + Math.random() * 0.05,
              time: t,
            });
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

/**
 * Frames while every run's held series grows from 0 past `upTo` points at full speed: append
 * messages of `perTick` points per run every 100 ms go straight to the webview (the host's
 * work is not in the page's frames: in VS Code it runs in another process). Each frame is
 * filed under the size held when it began, so stalls of one size (an array outgrowing its
 * capacity, a bucket width change) show as that size's max.
 */
async function fillFrames(
  page: Page,
  upTo: number,
  perTick: number,
): Promise<{ frames: [number, number][]; work: [number, number][]; start: number; heldAt: [number, number][] }> {
  return page.evaluate(
    async ({ runs, upTo, perTick }) => {
      const w = window as unknown as TestWindow;
      const h = w.__harness;
      const app = w.__metrics;
      h.recordMessages = false;
      const stored = [];
      for (let id = 1; id <= runs; id++)
        stored.push({ summary: h.summary(id, { status: "RUNNING", endTime: null }), series: [], checkpoints: [] });
      h.start({ kind: "experiment", experimentId: 1 }, stored);
      await new Promise((r) => setTimeout(r, 300));
      const held = () => app.store.get(1, "batch", "train/loss")?.length ?? 0;
      const frames: [number, number][] = [];
      const work: [number, number][] = [];
      let step = 0;
      let done = false;
      const t0 = Date.now();
      const timer = setInterval(() => {
        const deltas = [];
        for (let id = 1; id <= runs; id++) {
          const steps = new Array(perTick);
          const values = new Array(perTick);
          const times = new Array(perTick);
          for (let k = 0; k < perTick; k++) {
            const s = step + k;
            steps[k] = s;
            values[k] = 1 / (1 + s / 50_000) + ((s * 2654435761) % 1000) / 20_000 + id / 100;
            times[k] = t0 + s;
          }
          deltas.push({ runId: id, key: "train/loss", scope: "batch" as const, steps, values, times });
        }
        step += perTick;
        app.receive({ type: "append", deltas });
        if (step >= upTo) {
          clearInterval(timer);
          done = true;
        }
      }, 100);
      performance.mark("fill-start");
      (window as unknown as TestWindow).__fillStart = performance.now();
      const heldAt: [number, number][] = [];
      (window as unknown as TestWindow).__heldAt = heldAt;
      let last = performance.now();
      let lastHeld = held();
      let seen = app.stats.draws;
      await new Promise<void>((resolve) => {
        const tick = (now: number) => {
          frames.push([lastHeld, now - last]);
          heldAt.push([now, held()]);
          last = now;
          lastHeld = held();
          if (app.stats.draws !== seen) {
            seen = app.stats.draws;
            work.push([held(), app.stats.lastFrameMs]);
          }
          if (!done) requestAnimationFrame(tick);
          else setTimeout(resolve, 500);
        };
        requestAnimationFrame(tick);
      });
      return { frames, work, start: (window as unknown as TestWindow).__fillStart as number, heldAt };
    },
    { runs: RUNS, upTo, perTick },
  );
}

/** The fields of a Chrome trace event read here (the Trace Event Format). */
interface TraceEvent {
  name: string;
  cat?: string;
  ph?: string;
  ts?: number;
  tdur?: number;
  pid?: number;
  tid?: number;
  args?: { name?: string };
}

/** Chrome trace of the page (CDP): each main-thread task's thread (CPU) time and the user-timing marks. */
async function startTrace(
  page: Page,
): Promise<{ stop(): Promise<{ tasks: { ts: number; threadMs: number }[]; marks: Map<string, number> }> }> {
  const cdp = await page.context().newCDPSession(page);
  const events: TraceEvent[] = [];
  cdp.on("Tracing.dataCollected", (e) => events.push(...(e.value as unknown as TraceEvent[])));
  await cdp.send("Tracing.start", {
    categories: "toplevel,devtools.timeline,disabled-by-default-devtools.timeline,blink.user_timing",
    transferMode: "ReportEvents",
  });
  return {
    async stop() {
      const done = new Promise((r) => cdp.once("Tracing.tracingComplete", r));
      await cdp.send("Tracing.end");
      await done;
      const main = events.find((e) => e.name === "thread_name" && e.args?.name === "CrRendererMain");
      const tasks = events
        .filter(
          (e) =>
            e.name === "RunTask" &&
            e.ph === "X" &&
            (!main || (e.pid === main.pid && e.tid === main.tid)) &&
            typeof e.tdur === "number",
        )
        .map((e) => ({ ts: e.ts as number, threadMs: (e.tdur as number) / 1000 }))
        .sort((a, b) => a.ts - b.ts);
      const marks = new Map<string, number>();
      for (const e of events)
        if (e.cat?.includes("blink.user_timing") && typeof e.ts === "number" && !marks.has(e.name))
          marks.set(e.name, e.ts);
      if (process.env.BENCH_VERBOSE)
        console.log(`trace: ${events.length} events, ${tasks.length} main-thread tasks, main ${JSON.stringify(main)}`);
      await cdp.detach();
      return { tasks, marks };
    },
  };
}

/** Max and p99 per held-size band (powers of two). */
function bySize(samples: [number, number][]): string[] {
  const bands = new Map<number, number[]>();
  for (const [held, ms] of samples) {
    const band = held < 65_536 ? 65_536 : 2 ** Math.ceil(Math.log2(held + 1));
    (bands.get(band) ?? bands.set(band, []).get(band)!).push(ms);
  }
  return [...bands.entries()]
    .sort((a, b) => a[0] - b[0])
    .map(([band, xs]) => {
      const s = xs.sort((a, b) => a - b);
      const p99 = s[Math.min(s.length - 1, Math.floor(0.99 * (s.length - 1)))];
      return `held <= ${band.toLocaleString("en")}: max ${s[s.length - 1].toFixed(1)} ms, p99 ${p99.toFixed(1)} ms (n=${s.length})`;
    });
}

async function main(): Promise<void> {
  const harness = await startBenchHarness();
  try {
    console.log(`metrics webview benchmark: Chromium ${CHROMIUM}, headless, 1200x900, ${RUNS} runs`);
    const only = process.env.BENCH_ONLY;
    console.log(`load average ${loadAverage()} (2 cores shared)`);
    for (const reduce of only ? [] : [false, true]) {
      const p = await harness.openFresh();
      try {
        const r = await firstDraw(p.page, reduce);
        console.log(
          `first draw, ${RUNS} x ${POINTS.toLocaleString("en")} points, ${reduce ? "reduced by the host (2,000 buckets/run)" : "whole series in the webview"}: ${r.ms.toFixed(1)} ms after the data arrived (${r.drawn} points drawn)  [target < 300 ms]`,
        );
        if (!reduce) {
          const zooms = await zoomRedraws(p.page);
          console.log(`zoom redraw with ${(RUNS * POINTS) / 1e6} M points held: ${stats(zooms)}  [target < 50 ms]`);
          if (process.env.BENCH_VERBOSE) console.log(`  each: ${zooms.map((z) => z.toFixed(1)).join(" ")}`);
        }
        if (p.errors.length) console.log(`page errors: ${p.errors.join(" | ")}`);
      } finally {
        await p.close();
      }
    }
    for (const initial of only === "fill" ? [] : [100_000, 1_000_000]) {
      const p = await harness.openFresh();
      try {
        const trace = await startTrace(p.page);
        const r = await liveFrames(p.page, initial);
        const { tasks, marks } = await trace.stop();
        const liveStart = marks.get("live-start") ?? 0;
        const liveTasks = tasks.filter((t) => t.ts >= liveStart);
        console.log(
          `live: ${RUNS} runs x 1,000 points/s for 10 s on top of ${initial.toLocaleString("en")} held points each (${r.appended.toLocaleString("en")} appended, coalesced to 4 updates/s)`,
        );
        console.log(`  frame interval (rAF): ${stats(r.frames)}  [target: median <= 16 ms at 60 Hz]`);
        console.log(`  work per update (deltas applied, smoothing, downsampling, canvas draw): ${stats(r.work)}`);
        console.log(
          `  main-thread task CPU time while live (trace "tdur", load-independent): ${stats(liveTasks.map((t) => t.threadMs))}  [target: max < 100 ms]`,
        );
        if (p.errors.length) console.log(`page errors: ${p.errors.join(" | ")}`);
      } finally {
        await p.close();
      }
    }
    {
      const p = await harness.openFresh();
      try {
        const trace = await startTrace(p.page);
        const r = await fillFrames(p.page, FILL_TO, FILL_PER_TICK);
        const tasks = await trace.stop();
        console.log(
          `live growth: ${RUNS} runs each from 0 to ${FILL_TO.toLocaleString("en")} held points, ${FILL_PER_TICK.toLocaleString("en")} points per run every 100 ms  [target: every frame < 100 ms]`,
        );
        console.log(`  frame interval (rAF) by points held per run: ${stats(r.frames.map((f) => f[1]))}`);
        for (const line of bySize(r.frames)) console.log(`    ${line}`);
        console.log(`  work per update by points held per run:`);
        for (const line of bySize(r.work)) console.log(`    ${line}`);
        // Thread time of the page's main-thread tasks: what the webview itself spent, which the
        // frame intervals above mix with the time the loaded machine gave to other processes.
        const mark = tasks.marks.get("fill-start");
        if (mark !== undefined) {
          const held: [number, number][] = [];
          let j = 0;
          for (const t of tasks.tasks) {
            const pageMs = (t.ts - mark) / 1000 + r.start;
            while (j + 1 < r.heldAt.length && r.heldAt[j + 1][0] <= pageMs) j++;
            if (pageMs >= r.start) held.push([r.heldAt[j]?.[1] ?? 0, t.threadMs]);
          }
          console.log(
            `  main-thread task CPU time (trace "tdur", load-independent) by points held per run: ${stats(held.map((h) => h[1]))}`,
          );
          for (const line of bySize(held)) console.log(`    ${line}`);
        }
        console.log(`  load average after: ${loadAverage()}`);
        if (p.errors.length) console.log(`page errors: ${p.errors.join(" | ")}`);
      } finally {
        await p.close();
      }
    }
  } finally {
    await harness.close();
  }
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
