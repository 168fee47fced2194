/**
 * The runs table in real Chromium (the panel's real HTML, CSP and bundle; only the VS Code API
 * is faked, see test/webview/harness/host.ts): virtualisation, the filter expression and its
 * errors, sorting, columns (pin, hide, min/max summary), selection shared with the plots and the
 * tree, and the comparison of two runs.
 */
import { describe, test } from "node:test";
import assert from "node:assert/strict";
import type { Page } from "playwright-core";
import { chromiumSkip, useWebviewHarness } from "../../test/webview/harness/chromium-page";
import type { TestWindow } from "../../test/webview/harness/page";

const RUNS = 2000;

let harness: ReturnType<typeof useWebviewHarness>;

/** The data set, the same on both sides: params and metrics are functions of the run id. */
function lrOf(id: number): number {
  return [0.1, 0.01, 0.001][id % 3];
}
function accOf(id: number): number {
  return ((id * 37) % 100) / 100;
}

async function open(): Promise<Page> {
  const { page } = await harness.newPage();
  await page.evaluate(
    ({ runs, lrs, accs }) => {
      const h = (window as unknown as TestWindow).__harness;
      const stored = Array.from({ length: runs }, (_, i) => {
        const id = i + 1;
        return {
          summary: h.summary(id, {
            trialName: `lr=${lrs[i]}`,
            status: id % 10 === 0 ? "FAILED" : "SUCCESS",
            params: { lr: lrs[i], hidden: 32 + (id % 4) * 32 },
            finalMetrics: { val_acc: accs[i], train_loss: 1 - accs[i] },
            metricRanges: { val_acc: [0, Math.min(1, accs[i] + 0.5)], train_loss: [1 - accs[i], 2] },
            note: id === 77 ? "baseline for the paper" : "",
            tags: id % 500 === 0 ? ["best"] : [],
          }),
          series: [],
          checkpoints: [],
        };
      });
      h.start({ kind: "experiment", experimentId: 1 }, stored);
    },
    {
      runs: RUNS,
      lrs: Array.from({ length: RUNS }, (_, i) => lrOf(i + 1)),
      accs: Array.from({ length: RUNS }, (_, i) => accOf(i + 1)),
    },
  );
  await page.locator(".vt-body > .vt-row").first().waitFor();
  return page;
}

async function filter(page: Page, expression: string): Promise<void> {
  await page.locator("#runs-filter").fill(expression);
  await page.locator("#runs-filter").press("Enter");
}

async function count(page: Page): Promise<string> {
  return (await page.locator(".runs-count").textContent()) ?? "";
}

/** Run ids of the rows, in shown order (rows are reused while scrolling: DOM order is not it). */
async function rowIds(page: Page): Promise<number[]> {
  return page.evaluate(() => (window as unknown as TestWindow).__metrics.table.rowRunIds());
}

describe("runs table in Chromium", { skip: chromiumSkip }, () => {
  harness = useWebviewHarness();

  test("2,000 runs: only a screenful of cells in the DOM, also after scrolling to the end", async () => {
    const page = await open();
    assert.equal(await count(page), `${RUNS} runs`);
    const cells = () => page.locator(".vt-cell").count();
    const before = await cells();
    assert.ok(before > 20 && before < 400, `cells in the DOM: ${before}`);
    await page.evaluate(() => {
      const root = document.querySelector(".vt-scroll")!;
      root.scrollTop = root.scrollHeight;
    });
    await page.locator(`.vt-body > .vt-row[data-run="${RUNS}"]`).waitFor();
    assert.ok((await cells()) < 400);
    await page.close();
  });

  test("filter expression: the rows are the runs it keeps; a bad one says why and where, and keeps the last good one", async () => {
    const page = await open();
    await filter(page, "lr < 0.05 && val_acc > 0.5");
    const expected = Array.from({ length: RUNS }, (_, i) => i + 1).filter((id) => lrOf(id) < 0.05 && accOf(id) > 0.5);
    await page.waitForFunction(
      (n) => document.querySelector(".runs-count")?.textContent === `${n} of 2000 runs`,
      expected.length,
    );
    assert.deepEqual(
      (await rowIds(page)).sort((a, b) => a - b),
      expected,
    );
    // The charts' run filter keeps the same runs.
    assert.equal(
      await page.evaluate(() => (window as unknown as TestWindow).__metrics.runFilter.visible().length),
      expected.length,
    );

    await filter(page, 'status == FAILED && trial ~ "lr=0.1*"');
    const failed = Array.from({ length: RUNS }, (_, i) => i + 1).filter((id) => id % 10 === 0 && lrOf(id) === 0.1);
    await page.waitForFunction(
      (n) => document.querySelector(".runs-count")?.textContent === `${n} of 2000 runs`,
      failed.length,
    );
    assert.deepEqual(
      (await rowIds(page)).sort((a, b) => a - b),
      failed,
    );
    await filter(page, 'note ~ "BASELINE"');
    await page.waitForFunction(() => document.querySelector(".runs-count")?.textContent === "1 of 2000 runs");
    assert.deepEqual(await rowIds(page), [77]);

    await filter(page, "lrr < 0.1");
    const error = page.locator("#runs-filter-error");
    await error.filter({ hasText: 'no column named "lrr" (did you mean "lr"?)' }).waitFor();
    assert.equal(await page.locator("#runs-filter").getAttribute("aria-invalid"), "true");
    assert.match((await error.locator("pre").textContent()) ?? "", /^lrr < 0\.1\n\^$/);
    assert.deepEqual(await rowIds(page), [77], "the last good filter stays in force");
    await filter(page, "");
    await page.waitForFunction(() => document.querySelector(".runs-count")?.textContent === "2000 runs");
    assert.equal(await error.textContent(), "");
    await page.close();
  });

  test("sort by a header; pin, summarise (max) and hide columns from the Columns menu", async () => {
    const page = await open();
    await page.locator(".vt-th", { hasText: /^val_acc$/ }).click();
    await page.locator(".vt-th", { hasText: /^val_acc ▲$/ }).click();
    const ids = await rowIds(page);
    assert.equal(accOf(ids[0]), 0.99);
    assert.ok(accOf(ids[ids.length - 1]) === 0);
    await page.locator(".column-chooser > summary").click();
    await page.getByLabel("Pin val_acc").check();
    await page.locator(".vt-pin .vt-th", { hasText: "val_acc" }).waitFor();
    await page.getByLabel("Summary of val_acc").selectOption("max");
    await page.locator(".vt-th", { hasText: "val_acc (max)" }).waitFor();
    // Sorted by the max now: min(1, acc + 0.5) puts every run with acc >= 0.5 first (ties in id order).
    assert.equal((await rowIds(page))[0], ids.filter((id) => accOf(id) >= 0.5).sort((a, b) => a - b)[0]);
    await page.getByLabel("Show hidden").uncheck();
    await page.waitForFunction(() => ![...document.querySelectorAll(".vt-th")].some((e) => e.textContent === "hidden"));
    const settings = await page.evaluate(
      () =>
        (window as unknown as TestWindow).__harness.fromWebview.filter((m) => m.type === "state").pop()!.settings.table,
    );
    assert.deepEqual(settings.pinnedColumns, ["run", "metric:val_acc"]);
    assert.deepEqual(settings.hiddenColumns, ["param:hidden"]);
    assert.deepEqual(settings.summaries, { "metric:val_acc": "max" });
    await page.close();
  });

  test("selection: click, ctrl-click; the tree's selection scrolls to the run; two runs compare", async () => {
    const page = await open();
    await page.locator('.vt-pin .vt-row[data-run="1"] .vt-cell.run').click();
    await page.locator('.vt-pin .vt-row[data-run="3"] .vt-cell.run').click({ modifiers: ["Control"] });
    assert.deepEqual(
      await page.evaluate(() => (window as unknown as TestWindow).__metrics.runFilter.selected()),
      [1, 3],
    );
    assert.equal(await page.locator('.vt-pin .vt-row.selected[data-run="3"]').count(), 1);
    // The run configs as the store keeps them; the host diffs them (PanelController.compare).
    await page.evaluate(() => {
      const source = (window as unknown as TestWindow).__harness.source;
      const base = { runId: 0, trial: "", env: { seed: 1 }, experiment: { name: "x" } };
      source.configs.set(1, { ...base, runId: 1, trial: "lr=0.01", settings: { lr: 0.01, model: { depth: 2 } } });
      source.configs.set(3, {
        ...base,
        runId: 3,
        trial: "lr=0.1",
        settings: { lr: 0.1, model: { depth: 2, dropout: 0.5 } },
      });
    });
    await page.locator("#compare-runs").click();
    const request = await page.evaluate(() =>
      (window as unknown as TestWindow).__harness.fromWebview.find((m) => m.type === "compareRuns"),
    );
    assert.deepEqual(request, { type: "compareRuns", runIds: [1, 3] });
    const table = page.locator(".compare-table");
    await table.waitFor();
    assert.deepEqual(await table.locator("thead th").allTextContents(), ["Setting", "lr=0.01 #0", "lr=0.1 #0"]);
    assert.deepEqual(await table.locator("tbody tr").first().locator("th, td").allTextContents(), [
      "settings: lr",
      "0.01",
      "0.1",
    ]);
    assert.equal(await table.locator("tbody tr").nth(1).textContent(), "settings: model.dropout(not set)0.5");
    assert.match((await page.locator(".compare-summary").textContent()) ?? "", /2 settings differ, 3 the same/);

    // The Experiments tree selects run 1500: the table scrolls to it and marks it.
    await page.evaluate(() =>
      (window as unknown as TestWindow).__harness.sendRaw({ type: "selectRuns", runIds: [1500] }),
    );
    await page.locator('.vt-pin .vt-row.selected[data-run="1500"]').waitFor();
    assert.deepEqual(
      await page.evaluate(() => (window as unknown as TestWindow).__metrics.runFilter.selected()),
      [1500],
    );
    await page.close();
  });
});
