// "Install Runtime in Workspace" with the real npm of this Node and the tarball the build packs
// (client/out/expman-runtime-*.tgz, `npm test` builds it). The success case resolves the
// runtime's dependencies from the npm registry (tarballs mostly from npm's cache, which `npm ci`
// filled) with scripts off (no native rebuild); it is skipped, saying so, only when the registry
// cannot be reached from this machine. The failure case points npm at a closed port with an
// empty cache, as a machine offline would be.
import * as assert from "node:assert/strict";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { after, describe, it } from "node:test";
import { explainInstallFailure, findRuntimeTarball, installRuntime, npmCommand } from "../src/core/install-runtime";
import { repoRoot } from "./helpers";

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "expman-install-"));
after(() => fs.rmSync(tmp, { recursive: true, force: true }));
const tarball = findRuntimeTarball(path.join(repoRoot, "client", "out"));
const version = JSON.parse(fs.readFileSync(path.join(repoRoot, "runtime", "package.json"), "utf8")).version;

function project(name: string): string {
  const dir = path.join(tmp, name);
  fs.mkdirSync(dir);
  fs.writeFileSync(
    path.join(dir, "package.json"),
    JSON.stringify({ name, version: "1.0.0", private: true }, null, 2) + "\n",
  );
  return dir;
}

describe("installRuntime", () => {
  it("the build packs the runtime tarball the extension ships", () => {
    assert.ok(tarball, "client/out/expman-runtime-*.tgz exists");
    assert.equal(path.basename(tarball!), `expman-runtime-${version}.tgz`);
    assert.ok(npmCommand(process.execPath), "npm found next to this Node");
  });

  it("installs the tarball: copied into .expman/, package.json names it, the CLI is in node_modules", async (t) => {
    const dir = project("ok");
    const r = await installRuntime({
      node: process.execPath,
      project: dir,
      tarball: tarball!,
      npmArgs: ["--prefer-offline", "--ignore-scripts"],
    });
    if (!r.ok && /could not download/.test(r.message))
      return t.skip(`the npm registry is not reachable from here: ${r.message}`);
    assert.equal(r.ok, true, `${r.message}\n${r.output}`);
    const spec = `file:.expman/expman-runtime-${version}.tgz`;
    assert.equal(
      JSON.parse(fs.readFileSync(path.join(dir, "package.json"), "utf8")).dependencies["@expman/runtime"],
      spec,
    );
    assert.ok(fs.existsSync(path.join(dir, ".expman", `expman-runtime-${version}.tgz`)));
    assert.ok(fs.existsSync(path.join(dir, "node_modules", "@expman", "runtime", "bin", "expman.js")));
    assert.ok(
      !fs.lstatSync(path.join(dir, "node_modules", "@expman", "runtime")).isSymbolicLink(),
      "a copy, not a link",
    );
    assert.match(r.message, /Commit \.expman\//);
  });

  it("offline: fails saying so, and package.json is left as it was", async () => {
    const dir = project("offline");
    const before = fs.readFileSync(path.join(dir, "package.json"), "utf8");
    const r = await installRuntime({
      node: process.execPath,
      project: dir,
      tarball: tarball!,
      npmArgs: [
        "--registry",
        "http://127.0.0.1:9/",
        "--cache",
        path.join(tmp, "empty-cache"),
        "--prefer-online",
        "--fetch-retries",
        "0",
        "--ignore-scripts",
      ],
    });
    assert.equal(r.ok, false);
    assert.match(
      r.message,
      /could not download the runtime's dependencies .*\((ECONNREFUSED|ENOTFOUND|EAI_AGAIN)\): are you offline/,
    );
    assert.equal(fs.readFileSync(path.join(dir, "package.json"), "utf8"), before);
  });

  it("explains other npm failures with npm's own error lines", () => {
    const text = explainInstallFailure(
      "npm error code EACCES\nnpm error syscall mkdir\nnpm error A complete log of this run can be found in: x\n",
      243,
    );
    assert.equal(
      text,
      "npm install failed (exit 243): code EACCES syscall mkdir. See the output channel for npm's full output.",
    );
  });
});
