// "New Experiment": the files it writes validate and run with the real runtime (to a chart's
// worth of epochs in a database), names are checked, nothing is overwritten.
import * as assert from "node:assert/strict";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { after, describe, it } from "node:test";
import { checkExperimentName, className, writeScaffold } from "../src/core/scaffold";
import { RunProcess } from "../src/core/run-process";
import { validateConfigDir } from "../src/core/validate-config";
import { node, repoRuntime } from "./helpers";

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "expman-scaffold-"));
after(() => fs.rmSync(tmp, { recursive: true, force: true }));

describe("scaffold", () => {
  it("names: a letter first, then letters, digits, - or _; class names in PascalCase", () => {
    assert.equal(checkExperimentName("my-first_exp2"), undefined);
    for (const bad of ["", "1abc", "../x", "a/b", "a b", "x".repeat(61)]) assert.ok(checkExperimentName(bad), bad);
    assert.equal(className("my-first_exp2"), "MyFirstExp2");
  });

  it("writes a pipeline and four configs that validate and run: every run SUCCESS with epochs and checkpoints", async () => {
    const r = writeScaffold(tmp, "first-try");
    assert.ok("written" in r, JSON.stringify(r));
    const dir = path.join(tmp, "configs", "first-try");
    const v = await validateConfigDir(node, repoRuntime, dir);
    assert.deepEqual(v.errors, []);
    const p = new RunProcess({ node, runtime: repoRuntime, configDir: dir });
    p.start();
    const outcome = await p.done;
    assert.equal(outcome.exitCode, 0, outcome.stderrTail);
    assert.deepEqual(
      outcome.runs.map((x) => `${x.trial}-${x.repeat}:${x.status}`),
      ["small_lr-0:SUCCESS", "small_lr-1:SUCCESS", "big_lr-0:SUCCESS"],
    );
    assert.ok(fs.existsSync(path.join(tmp, "runs", "first-try", "artifacts", "experiment.db")));
    const ckpt = path.join(tmp, "runs", "first-try", "small_lr", "small_lr-0", "artifacts", "checkpoint-final");
    assert.deepEqual(
      Object.keys(JSON.parse(fs.readFileSync(ckpt, "utf8"))).sort(),
      ["b", "w"],
      "the model saved as JSON",
    );
  });

  it("refuses to overwrite: nothing is written when a file exists", () => {
    const again = writeScaffold(tmp, "first-try");
    assert.ok("error" in again && /already exist/.test(again.error));
    assert.ok("error" in writeScaffold(tmp, "../escape"));
    assert.equal(fs.existsSync(path.join(tmp, "..", "escape")), false);
  });
});
