// Soak of the extension host in the real editor (issue 13.11): runs the trusted suite's soak
// alone in code-server with 10 runs x 100,000 points (EXPMAN_SOAK_POINTS), the Experiments view
// open on them, and prints the extension host's heap after the first and after the last run,
// the tree's row refreshes and full reloads, and the load average. The suite itself runs a
// smaller soak (3,000 points a run) on every CI run.
//
//   node test/bench/soak-editor.mjs [path/to.vsix] [points]
// Without a .vsix it builds and packages the extension first. Prints figures; the suite asserts.
import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";

const repo = path.resolve(import.meta.dirname, "..", "..");
const points = process.argv[3] ?? "100000";
let vsix = process.argv[2];
const run = (cmd, args, env = process.env) => {
  const r = spawnSync(cmd, args, { cwd: repo, stdio: "inherit", env });
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(" ")} exited with ${r.status}`);
};
const load = () =>
  os
    .loadavg()
    .map((l) => l.toFixed(2))
    .join(" ");

console.log(`Soak benchmark (extension host), ${points} points a run, load average ${load()}`);
if (!vsix) {
  vsix = path.join(os.tmpdir(), "expman-soak.vsix");
  run("npm", ["run", "--silent", "build"]);
  run("npx", [
    "--no-install",
    "vsce",
    "package",
    "--no-dependencies",
    "--allow-missing-repository",
    "--skip-license",
    "--no-rewrite-relative-links",
    "-o",
    vsix,
  ]);
}
const started = Date.now();
run(
  process.execPath,
  [
    "test/rig/run.mjs",
    "--name",
    "soak",
    "--vsix",
    vsix,
    "--workspace",
    "test/integration/workspace",
    "--suites",
    "test/integration/trusted",
    "--grep",
    "Soak",
  ],
  { ...process.env, EXPMAN_SOAK_POINTS: points },
);
const figures = JSON.parse(fs.readFileSync(path.join(repo, "test", "artifacts", "soak-extension-host.json"), "utf8"));
const mb = (x) => `${x.toFixed(1)} MB`;
console.log(
  `\n10 runs x ${figures.pointsPerRun} points, in the real editor (${((Date.now() - started) / 1000).toFixed(0)} s with the rig)`,
);
console.log(
  `  extension host heap after GC: start ${mb(figures.heapMB.start)}, after the first run ${mb(figures.heapMB.afterFirst)}, after the last ${mb(figures.heapMB.afterLast)} (${figures.growthPercent.toFixed(1)}%, budget +20%)`,
);
console.log(
  `  extension host RSS: start ${mb(figures.rssMB.start)}, after the first run ${mb(figures.rssMB.afterFirst)}, after the last ${mb(figures.rssMB.afterLast)}`,
);
console.log(`  tree: ${figures.treeRefreshes.rows} row refreshes, ${figures.treeRefreshes.full} full reloads`);
console.log(`load average at the end ${load()}`);
