// Runtime resolution (workspace first, then the bundled copy; never the workspace's when
// untrusted), the Node check, and config-folder detection, on real folders.
import * as assert from "node:assert/strict";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { after, describe, it } from "node:test";
import { configFolderOf, experimentName, isConfigFolder, looksLikeExperimentConfig } from "../src/core/config-folder";
import { resolveExecutable } from "../src/core/executable";
import {
  NodeNotFoundError,
  RuntimeNotFoundError,
  checkNode,
  resolveRuntime,
  runtimeEnv,
} from "../src/core/runtime-locator";
import { fixture } from "./helpers";

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "expman-locate-"));
after(() => fs.rmSync(tmp, { recursive: true, force: true }));

function fakeRuntime(modules: string, version: string): void {
  const dir = path.join(modules, "@expman", "runtime");
  fs.mkdirSync(path.join(dir, "bin"), { recursive: true });
  fs.writeFileSync(path.join(dir, "bin", "expman.js"), "");
  fs.writeFileSync(path.join(dir, "package.json"), JSON.stringify({ name: "@expman/runtime", version }));
}

describe("resolveRuntime", () => {
  const project = path.join(tmp, "project");
  const bundled = path.join(tmp, "ext", "node_modules");
  fakeRuntime(bundled, "9.9.9-bundled");

  it("falls back to the bundled copy, with NODE_PATH for the user's imports", () => {
    fs.mkdirSync(path.join(project, "configs", "a"), { recursive: true });
    const r = resolveRuntime([path.join(project, "configs", "a"), project], bundled);
    assert.equal(r.source, "bundled");
    assert.equal(r.version, "9.9.9-bundled");
    assert.equal(r.nodePath, bundled);
    assert.ok(runtimeEnv(r, { NODE_PATH: "/x" }).NODE_PATH!.startsWith(`${bundled}${path.delimiter}`));
  });

  it("prefers the workspace's node_modules (found from a nested config folder)", () => {
    fakeRuntime(path.join(project, "node_modules"), "1.2.3");
    const r = resolveRuntime([path.join(project, "configs", "a")], bundled);
    assert.equal(r.source, "workspace");
    assert.equal(r.version, "1.2.3");
    assert.equal(r.cli, path.join(project, "node_modules", "@expman", "runtime", "bin", "expman.js"));
    assert.equal(runtimeEnv(r, {}).NODE_PATH, undefined);
  });

  it("never uses the workspace's copy in an untrusted workspace", () => {
    assert.equal(resolveRuntime([project], bundled, false).source, "bundled");
  });

  it("says what to install when there is none", () => {
    assert.throws(
      () => resolveRuntime([path.join(tmp, "nothing")], path.join(tmp, "none")),
      (e: RuntimeNotFoundError) => /Install Runtime in Workspace/.test(e.message),
    );
  });
});

describe("checkNode", () => {
  it("reports this Node's version and absolute path", async () => {
    assert.deepEqual(await checkNode(process.execPath), { path: process.execPath, version: process.version });
  });
  it("resolves a bare name to an absolute path on PATH, never in the current folder", async () => {
    const planted = fs.mkdtempSync(path.join(tmp, "planted-"));
    fs.writeFileSync(path.join(planted, "node"), "#!/bin/sh\necho v99.0.0\n", { mode: 0o755 });
    const cwd = process.cwd();
    const savedPath = process.env.PATH;
    try {
      process.chdir(planted);
      // "." and "" on PATH are the current folder: skipped, as is every relative entry.
      process.env.PATH = [".", "", "relative/bin", path.dirname(process.execPath)].join(path.delimiter);
      const info = await checkNode("node");
      assert.ok(path.isAbsolute(info.path));
      assert.equal(info.version, process.version);
      assert.notEqual(path.dirname(info.path), planted);
    } finally {
      process.chdir(cwd);
      process.env.PATH = savedPath;
    }
  });
  it("refuses a relative path (it would be resolved against the workspace)", async () => {
    await assert.rejects(checkNode("./node"), (e: NodeNotFoundError) => /relative path/.test(e.message));
  });
  it("a missing executable is a NodeNotFoundError naming the setting", async () => {
    await assert.rejects(
      checkNode("/nonexistent/bin/node"),
      (e: NodeNotFoundError) => e instanceof NodeNotFoundError && /experimentManager\.nodePath/.test(e.message),
    );
  });
  it("an executable that is not Node is refused", async () => {
    const fake = path.join(tmp, "fake-node");
    fs.writeFileSync(fake, "#!/bin/sh\necho hello\n", { mode: 0o755 });
    await assert.rejects(checkNode(fake), NodeNotFoundError);
  });
});

describe("config folders", () => {
  it("recognises the fixture's folders and names the experiment", () => {
    const quick = path.join(fixture, "configs", "quick");
    assert.equal(isConfigFolder(quick), true);
    assert.equal(configFolderOf(path.join(quick, "trials.yaml")), quick);
    assert.equal(configFolderOf(quick), quick);
    assert.equal(configFolderOf(path.join(fixture, "README.md")), undefined);
    assert.equal(experimentName(quick), "quick-toy");
  });
  it("a lone env.yaml is not a config folder", () => {
    const lone = path.join(tmp, "lone");
    fs.mkdirSync(lone);
    fs.writeFileSync(path.join(lone, "env.yaml"), "x: 1\n");
    assert.equal(configFolderOf(path.join(lone, "env.yaml")), undefined);
    assert.equal(experimentName(lone), "lone");
  });
  it("looksLikeExperimentConfig: the four names, a prefixed set, config keys or a trials list; not other YAML", () => {
    assert.equal(looksLikeExperimentConfig("/p/base.yml", ""), true);
    assert.equal(looksLikeExperimentConfig("/p/exp1.trials.yaml", ""), true);
    assert.equal(looksLikeExperimentConfig("/p/mine.yaml", "seed: 1\npipeline:\n  type: X\n"), true);
    assert.equal(looksLikeExperimentConfig("/p/runs.yaml", "- name: a\n  repeat: 2\n"), true);
    assert.equal(
      looksLikeExperimentConfig(
        "/p/.github/workflows/ci.yml",
        "name: CI\non: [push]\njobs:\n  build:\n    runs-on: ubuntu-latest\n",
      ),
      false,
    );
    assert.equal(
      looksLikeExperimentConfig("/p/deploy.yaml", "apiVersion: v1\nkind: Pod\nmetadata:\n  name: x\n"),
      false,
    );
  });
  it("a run's copy of the configs (<ws>/configs beside <ws>/logs) is not offered to run", () => {
    const ws = path.join(tmp, "run-ws");
    fs.mkdirSync(path.join(ws, "configs"), { recursive: true });
    for (const f of ["env.yaml", "experiment.yaml", "base.yaml", "trials.yaml"])
      fs.writeFileSync(path.join(ws, "configs", f), "{}\n");
    assert.equal(isConfigFolder(path.join(ws, "configs")), true, "without logs/ it could be the user's own folder");
    fs.mkdirSync(path.join(ws, "logs"));
    assert.equal(isConfigFolder(path.join(ws, "configs")), false);
    assert.equal(configFolderOf(path.join(ws, "configs", "trials.yaml")), undefined);
  });
});

describe("resolveExecutable", () => {
  it("searches only absolute PATH entries, with PATHEXT on Windows", () => {
    const dir = fs.mkdtempSync(path.join(tmp, "bin-"));
    fs.writeFileSync(path.join(dir, "tool"), "#!/bin/sh\n", { mode: 0o755 });
    fs.writeFileSync(path.join(dir, "plain"), "not executable\n", { mode: 0o644 });
    assert.deepEqual(resolveExecutable("tool", { platform: "linux", env: { PATH: `.:${dir}` } }), {
      path: path.join(dir, "tool"),
    });
    assert.ok(
      "error" in resolveExecutable("plain", { platform: "linux", env: { PATH: dir } }),
      "not executable: not taken",
    );
    assert.ok("error" in resolveExecutable("tool", { platform: "linux", env: { PATH: "." } }));
    assert.ok("error" in resolveExecutable("bin/tool", { platform: "linux", env: { PATH: dir } }));
  });
});
