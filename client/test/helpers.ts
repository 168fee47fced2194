// Shared by the client's unit tests: a temp copy of the real-editor fixture workspace and the
// repo's runtime (bin/expman.js, built by `npm run build`), resolved as a workspace runtime.
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import type { RuntimeLocation } from "../src/core/runtime-locator";

export const repoRoot = path.resolve(__dirname, "..", "..");
export const fixture = path.join(repoRoot, "test", "integration", "workspace");

/** The repo's runtime; NODE_PATH lets the fixture's pipelines `import "@expman/runtime"`. */
export const repoRuntime: RuntimeLocation = {
  cli: path.join(repoRoot, "runtime", "bin", "expman.js"),
  packageDir: path.join(repoRoot, "runtime"),
  source: "workspace",
  version: "test",
  nodePath: path.join(repoRoot, "node_modules"),
};

export function tempWorkspace(): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "expman-client-"));
  fs.cpSync(fixture, dir, { recursive: true });
  return dir;
}

export const node = process.execPath;
