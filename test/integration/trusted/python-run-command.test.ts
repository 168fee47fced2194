// Run on a Python-original experiment with experimentManager.python.runCommand set: the command
// starts without a shell in the workspace folder, and the tree follows the run from the
// database it writes (the original's schema, read read-only by the query service).
import * as assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import * as vscode from "vscode";
import { waitFor } from "../../rig/host";
import { api, configUri, runsOf, type RunCommandResult } from "../shared";

/**
 * Stands in for `python train.py <configDir>`: records how it was started, then writes a
 * database in the Python original's schema, epoch by epoch, as its DBTracker does.
 */
const FAKE_PYTHON = `
const fs = require("fs"), path = require("path");
const repo = process.env.EXPMAN_REPO_ROOT;
fs.mkdirSync("runs", { recursive: true });
fs.writeFileSync(path.join("runs", "python-command.json"), JSON.stringify({ args: process.argv.slice(2), cwd: process.cwd() }));
const Database = require(path.join(repo, "node_modules", "better-sqlite3"));
const file = path.join("runs", "python", "artifacts", "tracker.db");
fs.mkdirSync(path.dirname(file), { recursive: true });
fs.rmSync(file, { force: true });
const db = new Database(file);
db.pragma("foreign_keys = OFF");
db.exec(fs.readFileSync(path.join(repo, "runtime", "test", "fixtures", "python-original", "schema.sql"), "utf8"));
const now = () => new Date().toISOString().replace("Z", "");
db.prepare("INSERT INTO EXPERIMENT (title, desc, start_time, update_time) VALUES ('python-toy-original', '', ?, ?)").run(now(), now());
db.prepare("INSERT INTO TRIAL (name, experiment_id, start_time, update_time) VALUES ('only', 1, ?, ?)").run(now(), now());
db.prepare("INSERT INTO TRIAL_RUN (trial_id, status, start_time, update_time) VALUES (1, 'started', ?, ?)").run(now(), now());
for (let e = 0; e < 3; e++) {
  db.prepare("INSERT INTO EPOCH (idx, trial_run_id, time) VALUES (?, 1, ?)").run(e, now());
  const m = db.prepare("INSERT INTO METRIC (type, total_val, per_label_val) VALUES ('val_acc', ?, ?)").run(0.5 + e / 10, JSON.stringify({ cat: 0.4 + e / 10, dog: 0.6 })).lastInsertRowid;
  db.prepare("INSERT INTO EPOCH_METRIC VALUES (?, 1, ?)").run(e, m);
}
db.close();
console.log("trained 3 epochs");
`;

describe("Run with experimentManager.python.runCommand (trusted)", function () {
  this.timeout(90_000);

  it("starts the command without a shell in the workspace folder; the tree shows the run from its database", async () => {
    const a = await api();
    const root = vscode.workspace.workspaceFolders![0].uri.fsPath;
    fs.writeFileSync(path.join(root, "pipelines", "fake_python.js"), FAKE_PYTHON);
    const config = vscode.workspace.getConfiguration("experimentManager");
    // `node` from PATH: the Node the repo's better-sqlite3 was built for.
    await config.update(
      "python.runCommand",
      "node pipelines/fake_python.js ${configDir} '$(touch shell-ran)'",
      vscode.ConfigurationTarget.Workspace,
    );
    try {
      const result = (await vscode.commands.executeCommand<RunCommandResult>(
        "experimentManager.runExperiment",
        configUri("python"),
      )) as RunCommandResult;
      assert.equal(result.started, true, JSON.stringify(result));
      const record = path.join(root, "runs", "python-command.json");
      const started = await waitFor(
        "the command's record",
        () => (fs.existsSync(record) ? JSON.parse(fs.readFileSync(record, "utf8")) : undefined),
        30_000,
      );
      assert.deepEqual(started, { args: [path.join(root, "configs", "python"), "$(touch shell-ran)"], cwd: root });
      assert.equal(fs.existsSync(path.join(root, "shell-ran")), false, "no shell interpreted the command");
      const runs = await waitFor(
        "the original's run in the tree",
        async () => {
          a.databases.invalidate();
          const rs = await runsOf(a, "python-toy-original");
          return rs.length === 1 ? rs : undefined;
        },
        30_000,
        250,
      );
      assert.equal(runs[0].run.trialName, "only");
      const epochs = await waitFor(
        "its three epochs",
        async () => {
          a.databases.invalidate();
          const group = (await a.tree.getChildren(runs[0])).find((n) => n.kind === "epochs");
          const list = group ? await a.tree.getChildren(group) : [];
          return list.length === 3 ? list : undefined;
        },
        30_000,
        250,
      );
      assert.ok(epochs.every((n) => n.kind === "epoch"));
    } finally {
      await config.update("python.runCommand", undefined, vscode.ConfigurationTarget.Workspace);
    }
  });
});

/**
 * Stands in for a longer `python train.py`: writes the original's database epoch by epoch, a
 * second apart (each its own commit, as the original's DBTracker does), then a marker on exit.
 */
const FAKE_PYTHON_LIVE = `
const fs = require("fs"), path = require("path");
const repo = process.env.EXPMAN_REPO_ROOT;
const Database = require(path.join(repo, "node_modules", "better-sqlite3"));
const file = path.join("runs", "python-live", "artifacts", "tracker.db");
const done = path.join("runs", "python-live-done");
fs.mkdirSync(path.dirname(file), { recursive: true });
fs.rmSync(file, { force: true });
fs.rmSync(done, { force: true });
const db = new Database(file);
db.pragma("foreign_keys = OFF");
db.exec(fs.readFileSync(path.join(repo, "runtime", "test", "fixtures", "python-original", "schema.sql"), "utf8"));
const now = () => new Date().toISOString().replace("Z", "");
db.prepare("INSERT INTO EXPERIMENT (title, desc, start_time, update_time) VALUES ('python-live-original', '', ?, ?)").run(now(), now());
db.prepare("INSERT INTO TRIAL (name, experiment_id, start_time, update_time) VALUES ('only', 1, ?, ?)").run(now(), now());
db.prepare("INSERT INTO TRIAL_RUN (trial_id, status, start_time, update_time) VALUES (1, 'started', ?, ?)").run(now(), now());
let e = 0;
const epoch = () => {
  db.prepare("INSERT INTO EPOCH (idx, trial_run_id, time) VALUES (?, 1, ?)").run(e, now());
  const m = db.prepare("INSERT INTO METRIC (type, total_val, per_label_val) VALUES ('val_acc', ?, NULL)").run(0.5 + e / 100).lastInsertRowid;
  db.prepare("INSERT INTO EPOCH_METRIC VALUES (?, 1, ?)").run(e, m);
  if (++e < 10) setTimeout(epoch, 1500);
  else { db.close(); fs.writeFileSync(done, ""); console.log("trained", e, "epochs"); }
};
setTimeout(epoch, 500);
`;

describe("A Python-original run followed live (trusted)", function () {
  this.timeout(120_000);

  it("while the command writes its database, the tree re-reads the experiment's rows: new epochs show before it ends", async () => {
    const a = await api();
    // The user watches the Experiments view (a hidden view is not re-rendered: it reloads when shown).
    await vscode.commands.executeCommand("experimentManager.experiments.focus");
    const root = vscode.workspace.workspaceFolders![0].uri.fsPath;
    fs.writeFileSync(path.join(root, "pipelines", "fake_python_live.js"), FAKE_PYTHON_LIVE);
    const done = path.join(root, "runs", "python-live-done");
    const config = vscode.workspace.getConfiguration("experimentManager");
    await config.update(
      "python.runCommand",
      "node pipelines/fake_python_live.js",
      vscode.ConfigurationTarget.Workspace,
    );
    const epochsNow = async () => {
      const [run] = await runsOf(a, "python-live-original");
      if (!run) return 0;
      const group = (await a.tree.getChildren(run)).find((n) => n.kind === "epochs");
      return group ? (await a.tree.getChildren(group)).length : 0;
    };
    // What the tree re-rendered while the command ran, and how many epochs its rows had then.
    let watching = false;
    const seenByWatcher: string[] = [];
    const w = vscode.workspace.createFileSystemWatcher("**/artifacts/*.db");
    w.onDidChange((u) => seenByWatcher.push(`change ${path.basename(path.dirname(path.dirname(u.fsPath)))}`));
    w.onDidCreate((u) => seenByWatcher.push(`create ${path.basename(path.dirname(path.dirname(u.fsPath)))}`));
    const events: string[] = [];
    const fired: Promise<number>[] = [];
    const sub = a.tree.onDidChangeTreeData((node) => {
      if (!watching || fs.existsSync(done)) return;
      events.push(node ? `${node.kind}:${node.id}` : "whole tree");
      if (node && node.kind === "experiment" && node.experiment.title === "python-live-original")
        fired.push(epochsNow());
    });
    try {
      const result = (await vscode.commands.executeCommand<RunCommandResult>(
        "experimentManager.runExperiment",
        configUri("python"),
      )) as RunCommandResult;
      assert.equal(result.started, true, JSON.stringify(result));
      // Nothing here invalidates or refreshes: what the tree does, it does from the file's changes.
      await waitFor(
        "the run in the tree",
        async () => ((await runsOf(a, "python-live-original")).length ? true : undefined),
        60_000,
        200,
      );
      watching = true;
      await waitFor("the command's end", () => fs.existsSync(done) || undefined, 60_000);
      const seen = await Promise.all(fired);
      assert.ok(
        seen.some((n) => n > 0 && n < 10),
        `the experiment's row was re-rendered while epochs were being written (epochs then: ${JSON.stringify(seen)}; tree events: ${JSON.stringify(events)}; refreshes: ${JSON.stringify(a.tree.refreshCounts)}; watcher: ${JSON.stringify(seenByWatcher)})`,
      );
      assert.equal(await epochsNow(), 10);
    } finally {
      sub.dispose();
      w.dispose();
      await config.update("python.runCommand", undefined, vscode.ConfigurationTarget.Workspace);
    }
  });
});
