// Playwright check of the metrics panel's compare features in the real workbench: run the
// `repeats` fixture (2 trials x 3 repeats whose losses differ by seed) from its CodeLens, open
// the panel from the run-finished notification, group the runs by trial (a mean line with a
// band per trial must be drawn), then brush the parallel coordinates' lr axis and check that
// the charts draw only the runs the brush keeps. The webview re-renders as data arrives, so
// every element is looked up afresh and every action is retried until the state reads as
// expected.
import assert from "node:assert/strict";
import { panelFrame, settle, until } from "./panel.mjs";

const EXPERIMENT = "repeats-toy";
const PANEL_TITLE = `Metrics: ${EXPERIMENT}`;
const CHART = "batch:train_loss";

/** The chart's screen-reader summary and its translucent (band) and opaque (line) pixels. */
function chartState(frame, chart) {
  return frame.evaluate(async (id) => {
    const root = document.querySelector(`[data-chart="${id}"]`);
    root.scrollIntoView();
    await new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(() => setTimeout(r, 0))));
    const c = window.__metrics.chart(id);
    const canvas = c.canvas;
    const d = canvas.getContext("2d").getImageData(0, 0, canvas.width, canvas.height).data;
    let translucent = 0;
    let opaque = 0;
    for (let i = 3; i < d.length; i += 4) {
      if (d[i] > 20 && d[i] < 90) translucent++;
      else if (d[i] > 200) opaque++;
    }
    const summary = document.getElementById(root.getAttribute("aria-describedby"))?.textContent ?? "";
    return { summary, translucent, opaque, drawnPoints: c.drawnPoints };
  }, chart);
}

const checks = [
  {
    name: "compare: a trial's repeats drawn as a mean with a band; brushing the parallel coordinates reduces the runs drawn",
    async run(ctx) {
      try {
        await check(ctx);
      } finally {
        await ctx.page.keyboard.press("Escape").catch(() => {});
      }
    },
  },
];

async function check({ page, ui, screenshot }) {
  await ui.runCommandFromPalette(page, "View: Close All Editors");
  await ui.runCommandFromPalette(page, "Notifications: Clear All Notifications");
  await ui.runFromCodeLens(page, "configs/repeats");

  const toast = page
    .locator(".notifications-toasts .notification-list-item")
    .filter({ hasText: `'${EXPERIMENT}' finished` })
    .first();
  await toast.waitFor({ state: "visible", timeout: 90_000 });
  const tab = page.locator(".tabs-container .tab").filter({ hasText: PANEL_TITLE }).first();
  await until(
    "the metrics panel opens from the notification",
    async () => {
      const t = page
        .locator(".notifications-toasts .notification-list-item")
        .filter({ hasText: `'${EXPERIMENT}' finished` })
        .first();
      await t.hover({ timeout: 2_000 });
      await t.getByRole("button", { name: "Open Metrics" }).click({ timeout: 2_000 });
    },
    () => tab.isVisible(),
  );
  const frame = await panelFrame(page, PANEL_TITLE);
  await frame.waitForFunction(
    (id) => {
      const app = window.__metrics;
      const s = app.chartState().find((c) => c.id === id);
      return s && s.drawnPoints > 0 && document.querySelectorAll(".legend-item").length === 6;
    },
    CHART,
    { timeout: 30_000 },
  );
  await settle(frame);
  const plain = await chartState(frame, CHART);
  console.log(`compare.ui: before grouping: ${JSON.stringify({ ...plain, summary: undefined })}`);
  assert.equal(plain.summary.match(/points drawn/g)?.length, 6, `six runs drawn: ${plain.summary}`);

  // Group by trial: the select is looked up afresh on every try.
  await until(
    "grouping by trial",
    () => frame.locator("#group-by").selectOption("trial", { timeout: 2_000 }),
    async () => /mean of 3 runs/.test((await chartState(frame, CHART)).summary),
  );
  const grouped = await chartState(frame, CHART);
  console.log(`compare.ui: grouped by trial: ${JSON.stringify({ ...grouped, summary: undefined })}`);
  assert.match(grouped.summary, /fast: mean of 3 runs with a min–max band/);
  assert.match(grouped.summary, /slow: mean of 3 runs with a min–max band/);
  assert.ok(
    grouped.translucent > plain.translucent + 5_000,
    `the bands are filled: ${grouped.translucent} translucent pixels (ungrouped ${plain.translucent})`,
  );
  await screenshot("metrics-panel-band");

  // Parallel coordinates: unfold the compare section, then drag along the lr axis (the first
  // axis: lr is the only parameter that varies) over its top half, where lr = 0.3 sits.
  await until(
    "the compare section unfolds",
    () => frame.locator("details.compare > summary").click({ timeout: 2_000 }),
    () => frame.evaluate(() => document.querySelector("details.compare").open),
  );
  await until(
    "parallel coordinates drawn for the six runs",
    () => frame.evaluate(() => window.__metrics.compare.render()),
    () =>
      frame.evaluate(() => {
        const c = document.querySelector(".parallel canvas");
        return c.dataset.shownRuns === "6" && c.dataset.axes.startsWith("param:lr");
      }),
  );
  const shownRuns = () => frame.evaluate(() => document.querySelector(".parallel canvas").dataset.shownRuns);
  await until(
    "a brush on the lr axis keeps the three fast runs",
    async () => {
      const canvas = frame.locator(".parallel canvas");
      await canvas.scrollIntoViewIfNeeded({ timeout: 2_000 });
      const b = await canvas.boundingBox();
      if (!b) return;
      // Axis positions as the plot lays them out (media/src/plots/parallel-view.ts: PAD.left 48).
      const x = b.x + 48;
      await page.mouse.move(x, b.y + 30);
      await page.mouse.down();
      await page.mouse.move(x, b.y + 130, { steps: 5 });
      await page.mouse.up();
      await settle(frame);
    },
    async () => (await shownRuns()) === "3",
  );
  const brushed = await chartState(frame, CHART);
  console.log(`compare.ui: brushed lr: ${JSON.stringify({ ...brushed, summary: undefined })}`);
  assert.match(brushed.summary, /fast: mean of 3 runs/);
  assert.doesNotMatch(brushed.summary, /slow: mean/, "the brush removed the slow trial from the charts");
  // The runs drawn individually follow the brush too.
  await until(
    "single runs shown",
    () => frame.locator("#show-group-runs").check({ timeout: 2_000 }),
    async () => (await chartState(frame, CHART)).summary.match(/points drawn/g)?.length === 3,
  );
  await screenshot("metrics-panel-brushed");
  // Clearing the brush brings every run back.
  await until(
    "the brush cleared",
    () => frame.locator("#clear-brushes").click({ timeout: 2_000 }),
    async () => (await shownRuns()) === "6",
  );
  // The chart redraws on the next frames after the count is shown: wait for it to draw all six.
  await until(
    "every run drawn again after the brush was cleared",
    () => settle(frame),
    async () => (await chartState(frame, CHART)).summary.match(/points drawn/g)?.length === 6,
  );
}

export default checks;
