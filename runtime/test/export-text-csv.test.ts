import { test } from "node:test";
import assert from "node:assert/strict";
import { Level, Metric } from "../src/common/enums";
import { csvCell } from "../src/cli/commands/export";
import { expman } from "./helpers/cli";
import { dbRun } from "./helpers/db";

test("export/show return text metric values (a text-only run exports), CSV cells cannot become formulas", async () => {
  const { root, tracker, run } = dbRun("text.db");
  run.onCreate(Level.EPOCH, 0);
  run.track(Metric.CUSTOM, ["note", "=cmd|' /C calc'!A0"]);
  run.track(Metric.CUSTOM, ['=HYPERLINK("x")', 1.5]);
  run.track(Metric.CUSTOM, ["cfg", null]);
  run.onEnd(Level.EPOCH);
  run.onEnd(Level.TRIAL_RUN);
  await root.close();
  const csv = expman(["export", "1", "--db", tracker.path]);
  assert.equal(csv.code, 0, csv.stderr);
  const lines = csv.stdout.trim().split("\n");
  assert.equal(lines[0], "key,scope,step,value,time");
  assert.ok(
    lines.some((l) => l.startsWith(`"'=HYPERLINK(""x"")",epoch,0,1.5,`)),
    lines.join("\n"),
  );
  assert.ok(
    lines.some((l) => l.startsWith(`note,epoch,0,"'=cmd|' /C calc'!A0",`)),
    lines.join("\n"),
  );
  assert.ok(
    lines.some((l) => l.startsWith(`cfg,epoch,0,null,`)),
    lines.join("\n"),
  );
  assert.ok(
    lines.every((l) => !/(^|,)[=+@]/.test(l)),
    "no cell starts with a formula character",
  );

  const onlyText = expman(["export", "1", "--db", tracker.path, "--key", "note", "--format", "json"]);
  assert.equal(onlyText.code, 0, onlyText.stderr);
  assert.deepEqual(
    JSON.parse(onlyText.stdout).texts.map((t: { value: unknown }) => t.value),
    ["=cmd|' /C calc'!A0"],
  );
  const show = expman(["show", "1", "--db", tracker.path]);
  assert.match(show.stdout, /Text values \(2; latest of each\):\n {2}note \(epoch\): "=cmd/);
});

test("csvCell: formula starters quoted as text, plain text untouched, quotes doubled", () => {
  assert.equal(csvCell("loss"), "loss");
  assert.equal(csvCell("-1+1"), `"'-1+1"`);
  assert.equal(csvCell("@SUM(A1)"), `"'@SUM(A1)"`);
  assert.equal(csvCell('a,"b"'), `"a,""b"""`);
  assert.equal(csvCell("\tx"), `"'\tx"`);
});
