// Shared by the UI checks: an experiment run more than once is a row grouping its launches
// (date and time), the newest open; a check that wants the newest launch's trials opens it if
// a collapse (another check's cleanup) left it shut.

/** Expands `experiment` and, if `child` is not shown under it, the newest launch row. */
export async function expandNewestLaunch(page, ui, experiment, child) {
  await ui.expandTreeItem(page, experiment, { timeout: 60_000 });
  const shown = await ui
    .waitForTreeItem(page, child, { timeout: 10_000 })
    .then(() => true)
    .catch(() => false);
  if (shown) return;
  const labels = await ui.visibleTreeLabels(page);
  const launch = labels.slice(labels.indexOf(experiment) + 1).find((l) => /^\d{4}-\d\d-\d\d \d\d:/.test(l));
  if (launch) await ui.expandTreeItem(page, launch);
  await ui.waitForTreeItem(page, child);
}
