// Playwright check of the metrics panel through a live multi-run experiment, in the real
// workbench (issue 12.1): run `configs/live` (three runs one after the other, each logging per
// batch and per epoch and a run-level test_loss at its end), open the panel on the experiment
// from the tree while the first run is still going, let the experiment finish, then open a
// second panel afterwards and compare: the same series with the same points, every chart
// drawn (no chart collapsed to an empty header), no script error reported by the webview.
import assert from "node:assert/strict";
import { panelFrame, settle } from "./panel.mjs";

const EXPERIMENT = "live-toy";
const PANEL_TITLE = `Metrics: ${EXPERIMENT}`;
const CHARTS = ["batch:train_loss", "epoch:val_acc", "run:test_loss"];

/**
 * Every series the webview holds (as plain arrays), and per chart, scrolled into view (charts
 * off screen are not drawn), its drawn points and whether its canvas has ink.
 */
function snapshot(frame) {
  return frame.evaluate(async () => {
    const app = window.__metrics;
    const frameDone = () =>
      new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(() => setTimeout(r, 50))));
    const series = [];
    for (const s of app.store.all()) {
      if (s.length === 0) continue;
      series.push({
        id: `${s.runId}|${s.scope}|${s.key}`,
        steps: Array.from(s.steps.subarray(0, s.length)),
        values: Array.from(s.values.subarray(0, s.length)),
        times: Array.from(s.times.subarray(0, s.length)),
      });
    }
    series.sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
    const charts = {};
    for (const c of app.chartState()) {
      const chart = app.chart(c.id);
      chart.root.scrollIntoView();
      for (let i = 0; i < 40 && !(chart.drawnPoints > 0); i++) await frameDone();
      await frameDone();
      const canvas = chart.canvas;
      let inked = 0;
      if (canvas && canvas.width > 0) {
        const d = canvas.getContext("2d").getImageData(0, 0, canvas.width, canvas.height).data;
        for (let i = 3; i < d.length; i += 4) if (d[i] > 0) inked++;
      }
      charts[c.id] = { drawnPoints: chart.drawnPoints, inked: inked > 0 };
    }
    window.scrollTo(0, 0);
    const notices = [...document.querySelectorAll(".notice.error, .notice.warning")].map((e) => e.textContent);
    const rows = [...document.querySelectorAll(".vt-body > .vt-row")].map((r) => r.textContent);
    return { series, charts, notices, rows };
  });
}

const checks = [
  {
    name: "a metrics panel open through a live three-run experiment ends identical to one opened afterwards",
    async run(ctx) {
      try {
        await check(ctx);
      } finally {
        // Leave a clean workbench for the next check, whatever happened.
        await ctx.page.keyboard.press("Escape").catch(() => {});
        await ctx.page.keyboard.press("Escape").catch(() => {});
      }
    },
  },
];

async function check({ page, ui, screenshot }) {
  await ui.runCommandFromPalette(page, "View: Close All Editors");
  await ui.runCommandFromPalette(page, "Notifications: Clear All Notifications");
  await ui.runFromCodeLens(page, "configs/live");

  // Open the panel on the experiment while it runs, from its tree item's context menu.
  await ui.openViewContainer(page, "Experiments");
  await ui.waitForTreeItem(page, EXPERIMENT, { timeout: 60_000 });
  // The row's "Open Metrics": its inline action (shown on hover) on one try, its context menu
  // on the next. The running experiment's row is re-rendered at every epoch, which can take
  // the hover (and the action) away under the mouse, and the row's tooltip can cover the
  // action: try again, both ways in turn, until the panel's tab is there.
  const tab = page.locator(".tabs-container .tab").filter({ hasText: PANEL_TITLE }).first();
  const deadline = Date.now() + 30_000;
  for (let attempt = 0; !(await tab.isVisible()); attempt++) {
    if (Date.now() > deadline)
      throw new Error(
        `no '${PANEL_TITLE}' tab after 30 s of Open Metrics on its row; the tree:\n${await ui.describeTreeRows(page)}`,
      );
    await page.keyboard.press("Escape").catch(() => {});
    const item = await ui.waitForTreeItem(page, EXPERIMENT, { timeout: 10_000 });
    if (attempt % 2 === 0) {
      await item.hover().catch(() => {});
      const action = item.locator('.action-label[aria-label*="Open Metrics"]').first();
      await action.click({ timeout: 1_000 }).catch(() => {});
    } else {
      await item.click({ button: "right", timeout: 2_000 }).catch(() => {});
      await page
        .locator(".context-view .action-item")
        .filter({ hasText: "Open Metrics" })
        .first()
        .click({ timeout: 2_000 })
        .catch(() => {});
    }
    await tab.waitFor({ state: "visible", timeout: 1_500 }).catch(() => {});
  }
  const live = await panelFrame(page, PANEL_TITLE);
  const errors = [];
  // Errors from here on (the webview also reports them to the host's log).
  await live.evaluate(() => {
    window.__errors = [];
    window.addEventListener("error", (e) => window.__errors.push(String(e.message)));
  });
  // The plan is in the store before anything runs, so all three runs are listed from the start:
  // "opened while it ran" means some of them were not finished yet (each row's class is its status).
  const statusesAtOpen = await live.evaluate(() =>
    [...document.querySelectorAll(".vt-body > .vt-row")].map((r) => r.className),
  );
  console.log(`live-metrics.ui: panel opened with runs ${statusesAtOpen.join(", ")}`);

  // The experiment ends: the run-finished notification.
  const toast = page
    .locator(".notifications-toasts .notification-list-item")
    .filter({ hasText: `'${EXPERIMENT}' finished` })
    .first();
  await toast.waitFor({ state: "visible", timeout: 120_000 });
  // The panel's last refresh and fetches settle.
  await live.waitForFunction(
    () => {
      const rows = [...document.querySelectorAll(".vt-body > .vt-row")];
      return rows.length === 3 && rows.every((r) => /SUCCESS/.test(r.textContent ?? ""));
    },
    undefined,
    { timeout: 30_000 },
  );
  await page.waitForTimeout(1500);
  await settle(live);
  const a = await snapshot(live);
  errors.push(...(await live.evaluate(() => window.__errors)));
  await screenshot("live-metrics-panel");

  // A second panel opened afterwards: close the live one, open again from the notification.
  await toast.hover();
  await ui.runCommandFromPalette(page, "View: Close All Editors");
  await toast.getByRole("button", { name: "Open Metrics" }).click();
  const later = await panelFrame(page, PANEL_TITLE, { exclude: live });
  await later.waitForFunction(
    (n) =>
      window.__metrics.chartState().length >= n &&
      [...window.__metrics.store.all()].filter((x) => x.length > 0 && x.fetchState === "done").length >= 3 * n,
    CHARTS.length,
    { timeout: 30_000 },
  );
  await page.waitForTimeout(500);
  await settle(later);
  const b = await snapshot(later);

  console.log(
    `live-metrics.ui: live panel ${a.series.length} series, ${a.series.reduce((n, s) => n + s.steps.length, 0)} points; charts ${JSON.stringify(a.charts)}`,
  );
  console.log(
    `live-metrics.ui: later panel ${b.series.length} series, ${b.series.reduce((n, s) => n + s.steps.length, 0)} points; charts ${JSON.stringify(b.charts)}`,
  );
  assert.ok(
    statusesAtOpen.some((c) => /\b(queued|running)\b/.test(c)),
    `the panel was opened while the experiment ran (runs then: ${statusesAtOpen.join(", ")})`,
  );
  assert.deepEqual(Object.keys(a.charts).sort(), [...CHARTS].sort());
  assert.equal(a.series.length, 3 * CHARTS.length, "3 runs x 3 series");
  assert.deepEqual(
    a.series.map((s) => `${s.id}:${s.steps.length}`),
    b.series.map((s) => `${s.id}:${s.steps.length}`),
  );
  assert.deepEqual(a.series, b.series, "same points, step for step");
  assert.deepEqual(a.charts, b.charts);
  for (const [id, c] of Object.entries(a.charts))
    assert.ok(c.drawnPoints > 0 && c.inked, `${id} drawn in the live panel: ${JSON.stringify(c)}`);
  assert.deepEqual(a.notices, [], "no error notices in the live panel");
  assert.deepEqual(errors, [], "no script errors in the live panel");
  await screenshot("live-metrics-panel-later");
}

export default checks;
