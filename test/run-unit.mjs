#!/usr/bin/env node
// Runs every package's unit tests (`*.test.ts` under runtime/, server/, client/, media/, test/unit/)
// with Node's test runner through tsx, so new test files need no script edits.
// Slow tests are named `*.stress.test.ts`: `--stress` runs only those (npm run test:stress),
// the default run leaves them out (npm test stays quick).
import { readdirSync, statSync } from "node:fs";
import { join, relative } from "node:path";
import { runWithTestTmp } from "./test-tmp.mjs";

const root = new URL("..", import.meta.url).pathname;
const roots = ["runtime/test", "server/test", "client/test", "media/test", "test/unit", "test/stress"];
const stress = process.argv.includes("--stress");
const filter = process.argv.slice(2).filter((a) => a !== "--stress");
const files = [];
function walk(dir) {
  let entries;
  try {
    entries = readdirSync(dir);
  } catch {
    return;
  }
  for (const name of entries) {
    const full = join(dir, name);
    if (name === "node_modules" || name === "fixtures") continue;
    if (statSync(full).isDirectory()) walk(full);
    else if (name.endsWith(".test.ts") && name.endsWith(".stress.test.ts") === stress) files.push(relative(root, full));
  }
}
for (const r of roots) walk(join(root, r));
const selected = filter.length ? files.filter((f) => filter.some((x) => f.includes(x))) : files;
if (selected.length === 0) {
  console.error(stress ? "no stress test files found" : "no test files found");
  process.exit(1);
}
const tsx = join(root, "node_modules", ".bin", "tsx");
// TMPDIR of the test processes is a fresh folder, removed after a passing run (test/test-tmp.mjs).
const status = await runWithTestTmp(
  stress ? "stress" : "unit",
  tsx,
  ["--test", "--test-reporter=spec", "--test-concurrency=2", ...selected.sort()],
  { cwd: root },
);
process.exit(status);
