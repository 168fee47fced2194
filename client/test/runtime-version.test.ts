// The extension's check of a runtime's protocol versions (`expman version --json`), against
// the repo's runtime and two stand-ins: one too old to know the command, one of a newer protocol.
import * as assert from "node:assert/strict";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { after, describe, it } from "node:test";
import { PROTOCOLS } from "@expman/runtime/contracts";
import { incompatibleMessage, readRuntimeVersion } from "../src/core/runtime-version";
import type { RuntimeLocation } from "../src/core/runtime-locator";
import { node, repoRuntime } from "./helpers";

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "expman-version-"));
after(() => fs.rmSync(tmp, { recursive: true, force: true }));

function standIn(name: string, script: string): RuntimeLocation {
  const dir = path.join(tmp, name);
  fs.mkdirSync(path.join(dir, "bin"), { recursive: true });
  fs.writeFileSync(path.join(dir, "bin", "expman.js"), script);
  return { cli: path.join(dir, "bin", "expman.js"), packageDir: dir, source: "workspace", version: "0.0.1" };
}

describe("readRuntimeVersion", () => {
  it("the repo's runtime speaks this extension's protocols", async () => {
    const c = await readRuntimeVersion(node, repoRuntime);
    assert.deepEqual(c.mismatches, []);
    assert.deepEqual(c.info?.protocols, PROTOCOLS);
  });

  it("a runtime too old to have `version` mismatches every protocol", async () => {
    const old = standIn("old", "process.stderr.write(\"expman: unknown command 'version'.\\n\"); process.exit(2);\n");
    const c = await readRuntimeVersion(node, old);
    assert.equal(c.info, undefined);
    assert.deepEqual(c.mismatches, [
      `events none (needs ${PROTOCOLS.events})`,
      `control none (needs ${PROTOCOLS.control})`,
      `query none (needs ${PROTOCOLS.query})`,
    ]);
    assert.match(
      incompatibleMessage(old, c),
      /installed in this workspace \(0\.0\.1, .*old\).*events none.*Install Runtime in Workspace/,
    );
  });

  it("a runtime of another events version is named with what it speaks and what is needed", async () => {
    const newer = standIn(
      "newer",
      `console.log(JSON.stringify({ runtime: "9.0.0", protocols: { events: ${PROTOCOLS.events + 1}, control: ${PROTOCOLS.control}, query: ${PROTOCOLS.query} } }));\n`,
    );
    const c = await readRuntimeVersion(node, newer);
    assert.deepEqual(c.mismatches, [`events ${PROTOCOLS.events + 1} (needs ${PROTOCOLS.events})`]);
    assert.match(incompatibleMessage(newer, c), /\(9\.0\.0, /);
  });
});
