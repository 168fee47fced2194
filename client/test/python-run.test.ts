// Running the Python original's experiments from the editor: how
// experimentManager.python.runCommand becomes an argv started without a shell.
import * as assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { describe, it } from "node:test";
import { commandArgv } from "../src/core/python-run";
import { pythonPipelineMessage } from "../src/core/python-pipeline";

describe("python-run", () => {
  it("turns the setting into an argv: words and quotes, ${configDir} substituted, nothing a shell would interpret", () => {
    const vars = { configDir: "/ws/configs/my exp", workspaceFolder: "/ws" };
    assert.deepEqual(commandArgv("python train.py ${configDir}", vars), ["python", "train.py", "/ws/configs/my exp"]);
    assert.deepEqual(commandArgv(`.venv/bin/python -m pkg.run --config="\${configDir}" 'a b' c\\ d`, vars), [
      ".venv/bin/python",
      "-m",
      "pkg.run",
      "--config=/ws/configs/my exp",
      "a b",
      "c d",
    ]);
    assert.throws(
      () => commandArgv("python train.py ${config}", vars),
      /Unknown placeholder \$\{config\}.*\$\{configDir\}/,
    );
    assert.throws(() => commandArgv("python 'train.py", vars), /Unclosed ' quote/);
    assert.throws(() => commandArgv("   ", vars), /empty/);

    // Started without a shell: $(...), ;, > and * reach the program as plain text.
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "pyrun-noshell-"));
    const argv = commandArgv(
      `${JSON.stringify(process.execPath)} -e "console.log(JSON.stringify(process.argv.slice(1)))" $(touch pwned) ; echo hi > out *`,
      vars,
    );
    const r = spawnSync(argv[0], argv.slice(1), { cwd: dir, shell: false, encoding: "utf8" });
    assert.equal(r.status, 0, r.stderr);
    assert.deepEqual(JSON.parse(r.stdout), ["$(touch", "pwned)", ";", "echo", "hi", ">", "out", "*"]);
    assert.deepEqual(fs.readdirSync(dir), [], "no file was created by a shell");
  });

  it("without the setting, Run says what to set", () => {
    const text = pythonPipelineMessage("mnist", "/ws/configs/mnist", {
      type: "MNISTPerceptronPipeline",
      file: "/ws/pipelines/mnist.py",
      line: 12,
    });
    assert.match(text, /'MNISTPerceptronPipeline' is a Python class \(\/ws\/pipelines\/mnist\.py:12\)/);
    assert.match(text, /set experimentManager\.python\.runCommand \(e\.g\. python train\.py \$\{configDir\}\)/);
  });
});
