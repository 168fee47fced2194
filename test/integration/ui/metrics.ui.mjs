// Playwright check of the metrics panel in the real workbench: run the `curve` fixture from
// its config's CodeLens, open the panel from the run-finished notification, then read the
// chart canvas inside the webview (code-server nests it: iframe.webview > iframe#active-frame)
// and check that zoom and the smoothing slider change what is drawn. Screenshots of the
// workbench and of the panel go to test/artifacts/.
import assert from "node:assert/strict";
import { join } from "node:path";
import { panelFrame, settle } from "./panel.mjs";

const EXPERIMENT = "curve-toy";
const PANEL_TITLE = `Metrics: ${EXPERIMENT}`;
const CHART = "batch:train_loss";

/**
 * What the chart has drawn: per run (legend colour) the count of opaque canvas pixels within a
 * small distance of that colour (the bold smoothed lines; the faint raw lines are 25% alpha),
 * the x range, the zoom, the drawn point count and the accessible summary.
 */
function drawn(frame, chart) {
  return frame.evaluate((id) => {
    const app = window.__metrics;
    const c = app.chart(id);
    const canvas = c.canvas;
    const data = canvas.getContext("2d").getImageData(0, 0, canvas.width, canvas.height).data;
    const pixels = {};
    for (const item of document.querySelectorAll(".legend-item")) {
      const m = /rgba?\((\d+),\s*(\d+),\s*(\d+)/.exec(getComputedStyle(item.querySelector(".swatch")).backgroundColor);
      if (!m) continue;
      const [r, g, b] = [Number(m[1]), Number(m[2]), Number(m[3])];
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
      pixels[item.textContent.trim()] = n;
    }
    const root = document.querySelector(`[data-chart="${id}"]`);
    const summary = document.getElementById(root.getAttribute("aria-describedby"))?.textContent ?? "";
    return {
      pixels,
      xRange: c.xRange,
      zoomed: c.zoomed,
      drawnPoints: c.drawnPoints,
      summary,
      canvas: [canvas.width, canvas.height],
    };
  }, chart);
}

const total = (d) => Object.values(d.pixels).reduce((a, b) => a + b, 0);

const checks = [
  {
    name: "after a run the metrics panel draws its series; zoom and smoothing change what is drawn; screenshots saved",
    async run({ page, ui, screenshot, artifactsDir, name }) {
      // A clean workbench: the trusted suite left editors, two metrics panels, the Output
      // panel and its notifications open.
      await ui.runCommandFromPalette(page, "View: Close All Editors");
      await ui
        .runCommandFromPalette(page, "View: Hide Panel", { timeout: 5_000 })
        .catch(() => page.keyboard.press("Escape")); // not listed when hidden
      await ui.runCommandFromPalette(page, "Notifications: Clear All Notifications");
      // Run the fixture from its config file's CodeLens, as a user would.
      await ui.runFromCodeLens(page, "configs/curve");

      // The run-finished notification offers Open Metrics.
      const toast = page
        .locator(".notifications-toasts .notification-list-item")
        .filter({ hasText: `'${EXPERIMENT}' finished` })
        .first();
      await toast.waitFor({ state: "visible", timeout: 60_000 });
      await toast.hover(); // a hovered toast is not hidden by its timeout
      await toast.getByRole("button", { name: "Open Metrics" }).click();
      await page
        .locator(".tabs-container .tab")
        .filter({ hasText: PANEL_TITLE })
        .first()
        .waitFor({ state: "visible", timeout: 30_000 });

      const frame = await panelFrame(page, PANEL_TITLE);
      await frame.waitForFunction(
        (id) => {
          const s = window.__metrics.chartState().find((c) => c.id === id);
          return s && s.drawnPoints >= 600 && document.querySelectorAll(".legend-item").length === 2;
        },
        CHART,
        { timeout: 30_000 },
      );
      await settle(frame);
      const first = await drawn(frame, CHART);
      console.log(`metrics.ui: drawn at start: ${JSON.stringify(first)}`);
      assert.equal(Object.keys(first.pixels).length, 2, `two runs in the legend: ${JSON.stringify(first.pixels)}`);
      for (const [run, n] of Object.entries(first.pixels))
        assert.ok(n > 300, `${run} drawn in its colour: ${n} pixels`);
      assert.deepEqual(first.xRange, [0, 299], "both runs' 300 batches along x");
      assert.match(first.summary, /fast #0: 300 points drawn/);
      // The tree beside it: each run's status icon has the colour of its line in the chart.
      await ui.openViewContainer(page, "Experiments");
      await ui.expandTreeItem(page, EXPERIMENT);
      await ui.expandTreeItem(page, /^fast(?!-)/);
      await ui.expandTreeItem(page, /^slow(?!-)/);
      const legendColours = await frame.evaluate(() =>
        Object.fromEntries(
          [...document.querySelectorAll(".legend-item")].map((b) => [
            b.textContent.trim(),
            getComputedStyle(b.querySelector(".swatch")).backgroundColor,
          ]),
        ),
      );
      for (const [trial, legend] of [
        ["fast-0", "fast #0"],
        ["slow-0", "slow #0"],
      ]) {
        const icon = (await ui.waitForTreeItem(page, trial)).locator(".custom-view-tree-node-item-icon");
        const colour = await icon.evaluate((e) => getComputedStyle(e).color);
        assert.equal(colour, legendColours[legend], `tree icon of ${trial} vs its chart colour`);
        console.log(`metrics.ui: ${trial} tree icon ${colour}, chart legend ${legendColours[legend]}`);
      }
      assert.notEqual(legendColours["fast #0"], legendColours["slow #0"], "the two runs have different colours");
      await page.mouse.move(5, 5); // no hover state in the screenshots
      // The whole workbench with the panel, and the panel alone.
      await screenshot("metrics-panel-workbench");
      await page
        .locator("iframe.webview.ready")
        .filter({ visible: true })
        .first()
        .screenshot({ path: join(artifactsDir, `${name}-metrics-panel.png`) });

      // Drag across the middle fifth of the plot: the chart zooms to that x range.
      const over = frame.locator(`[data-chart="${CHART}"] .u-over`);
      const box = await over.boundingBox();
      assert.ok(box, "the plot area has a box");
      await page.mouse.move(box.x + box.width * 0.4, box.y + box.height / 2);
      await page.mouse.down();
      await page.mouse.move(box.x + box.width * 0.6, box.y + box.height / 2, { steps: 8 });
      await page.mouse.up();
      await settle(frame);
      const zoomed = await drawn(frame, CHART);
      console.log(`metrics.ui: drawn after zoom: ${JSON.stringify(zoomed)}`);
      assert.ok(zoomed.zoomed, "the chart is zoomed");
      assert.ok(
        zoomed.xRange[0] > 80 && zoomed.xRange[1] < 220 && zoomed.xRange[1] - zoomed.xRange[0] < 100,
        `zoomed x range ${zoomed.xRange}`,
      );
      assert.ok(
        zoomed.drawnPoints < first.drawnPoints,
        `fewer points drawn: ${first.drawnPoints} -> ${zoomed.drawnPoints}`,
      );
      assert.notDeepEqual(zoomed.pixels, first.pixels, "the drawn pixels changed");
      assert.match(zoomed.summary, /\(zoomed\)/);
      await page.mouse.move(5, 5);
      await screenshot("metrics-panel-zoomed");

      // Double-click resets the zoom: the full range is drawn again.
      await over.dblclick({ position: { x: box.width / 2, y: box.height / 2 } });
      await settle(frame);
      const reset = await drawn(frame, CHART);
      assert.equal(reset.zoomed, null);
      assert.deepEqual(reset.xRange, first.xRange);

      // Smoothing slider: 0 draws the noisy raw series bold; 0.99 a smooth line over far fewer pixels.
      const slider = frame.locator("#smoothing");
      await slider.focus();
      await page.keyboard.press("Home");
      await settle(frame);
      const raw = await drawn(frame, CHART);
      await page.keyboard.press("End");
      await settle(frame);
      const smooth = await drawn(frame, CHART);
      console.log(
        `metrics.ui: pixels at smoothing 0: ${JSON.stringify(raw.pixels)}; at 0.99: ${JSON.stringify(smooth.pixels)}`,
      );
      assert.match(raw.summary, /smoothing 0\.00/);
      assert.match(smooth.summary, /smoothing 0\.99/);
      for (const run of Object.keys(raw.pixels)) {
        assert.ok(
          smooth.pixels[run] < raw.pixels[run] * 0.8,
          `${run}: ${raw.pixels[run]} pixels raw -> ${smooth.pixels[run]} smoothed`,
        );
      }
      assert.ok(
        total(raw) !== total(first) || total(smooth) !== total(first),
        "the default smoothing differs from both ends",
      );
      await page.mouse.move(5, 5);
      await screenshot("metrics-panel-smoothed");
    },
  },
];

export default checks;
