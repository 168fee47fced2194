/**
 * One validator, one answer (issue 12.2): the same config folders go through the language
 * server (its bundle over stdio, as the editor starts it), `expman validate --json` and
 * `expman run` (real child processes), and the three must report the same problems: the editor's
 * diagnostics equal the CLI's, and Run refuses exactly the editor's errors (and runs when the
 * editor shows none). The pipeline is the examples' IrisMlp, whose decorated methods once hid
 * its `static params` / `static metrics` from the CLI.
 */
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { cpSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import type { Diagnostic } from "vscode-languageserver-protocol";
import { LspClient } from "../../server/test/helpers/lsp-client";

const REPO = join(__dirname, "..", "..");
const CLI = join(REPO, "runtime", "bin", "expman.js");
const FILES = ["env.yaml", "experiment.yaml", "base.yaml", "trials.yaml"] as const;

interface Problem {
  file: string;
  line: number;
  character: number;
  severity: string;
  code: string;
  message: string;
}

const SEVERITY = ["", "error", "warning", "info"];

function fromLsp(file: string, d: Diagnostic): Problem {
  return {
    file,
    line: d.range.start.line,
    character: d.range.start.character,
    severity: SEVERITY[d.severity ?? 1],
    code: String(d.code),
    message: String(d.message),
  };
}

function sortProblems(list: Problem[]): Problem[] {
  return [...list].sort(
    (a, b) =>
      a.file.localeCompare(b.file) || a.line - b.line || a.character - b.character || a.code.localeCompare(b.code),
  );
}

/** Each case edits the examples' iris configs; `errors` is what a user must see (or none). */
const CASES: Array<{
  name: string;
  edit: Partial<Record<(typeof FILES)[number], (text: string) => string>>;
  errors: RegExp[];
}> = [
  { name: "the example as shipped", edit: {}, errors: [] },
  {
    name: "epochs: 30x (a string where IrisMlp declares an integer)",
    edit: { "base.yaml": (t) => t.replace("epochs: 80", "epochs: 30x") },
    errors: [/'epochs' must be an integer/],
  },
  {
    name: "EarlyStopping on grad_norm, a metric IrisMlp declares",
    edit: { "base.yaml": (t) => t.replace("metric: val_loss", "metric: grad_norm") },
    errors: [],
  },
  {
    name: "a misspelt declared metric",
    edit: { "base.yaml": (t) => t.replace("metric: val_loss", "metric: grad_nrom") },
    errors: [/Unknown metric 'grad_nrom'\. Did you mean 'grad_norm'\?/],
  },
  {
    name: "hidden below its minimum, in a trial",
    edit: { "trials.yaml": (t) => t.replace("      lr: 0.02", "      lr: 0.02\n    pipeline:\n      hidden: 0") },
    errors: [/'hidden' must be >= 1/],
  },
  {
    name: "an unknown pipeline type and an unknown env key",
    edit: {
      "base.yaml": (t) => t.replace("type: IrisMlp", "type: IrisMpl"),
      "env.yaml": (t) => t.replace("device: cpu", "device: cpu\nverbos: true"),
    },
    errors: [/Unknown pipeline type 'IrisMpl'/],
  },
  {
    name: "a duplicate trial name",
    edit: { "trials.yaml": (t) => t.replace("name: medium_lr", "name: small_lr") },
    errors: [/Duplicate trial name 'small_lr'/],
  },
];

describe("the editor, expman validate and expman run give one answer", () => {
  let root: string;
  let client: LspClient;

  before(async () => {
    root = mkdtempSync(join(tmpdir(), "expman-parity-"));
    cpSync(join(REPO, "examples", "pipelines"), join(root, "pipelines"), { recursive: true });
    // The pipelines import @expman/runtime (and the Iris data) from the project's node_modules.
    symlinkSync(join(REPO, "node_modules"), join(root, "node_modules"), "dir");
    client = await LspClient.start(root);
  });
  after(async () => {
    await client?.stop();
    rmSync(root, { recursive: true, force: true });
  });

  for (const [i, c] of CASES.entries()) {
    it(c.name, async () => {
      const dir = join(root, "configs", `case${i}`);
      cpSync(join(REPO, "examples", "configs", "iris"), dir, { recursive: true });
      for (const f of FILES) {
        let text = readFileSync(join(dir, f), "utf8");
        if (f === "env.yaml") text = text.replace(/^workspace:.*$/m, `workspace: ../../workspace/case${i}`);
        const edit = c.edit[f];
        if (edit) {
          const edited = edit(text);
          assert.notEqual(edited, text, `the case's edit of ${f} applies`);
          text = edited;
        }
        writeFileSync(join(dir, f), text);
      }
      // Few epochs, so that a config the three accept also runs quickly.
      writeFileSync(
        join(dir, "base.yaml"),
        readFileSync(join(dir, "base.yaml"), "utf8").replace("epochs: 80", "epochs: 2"),
      );
      writeFileSync(
        join(dir, "trials.yaml"),
        readFileSync(join(dir, "trials.yaml"), "utf8").replace(/repeat: 2/g, "repeat: 1"),
      );

      // The editor: open the four files, read what it publishes for each.
      const editor: Problem[] = [];
      const uris = [];
      for (const f of FILES) uris.push(await client.open(join(dir, f), readFileSync(join(dir, f), "utf8")));
      // A change of trials.yaml once all four are open: the server validates the set and
      // publishes every file of it, trials.yaml last, so its version 2 means all are current.
      const trialsUri = uris[FILES.indexOf("trials.yaml")];
      const v = await client.change(trialsUri, readFileSync(join(dir, "trials.yaml"), "utf8"));
      await client.diagnosticsFor(trialsUri, v);
      for (const [k, f] of FILES.entries())
        for (const d of client.diagnostics.get(uris[k])!.diagnostics) editor.push(fromLsp(join(dir, f), d));
      for (const uri of uris) await client.close(uri);

      // The CLI.
      const validate = spawnSync(process.execPath, [CLI, "validate", dir, "--json"], {
        encoding: "utf8",
        timeout: 60_000,
      });
      const report = JSON.parse(validate.stdout) as {
        ok: boolean;
        diagnostics: Array<{
          path: string;
          range: { start: { line: number; character: number } };
          severity: string;
          code: string;
          message: string;
        }>;
      };
      const cli: Problem[] = report.diagnostics.map((d) => ({
        file: d.path,
        line: d.range.start.line,
        character: d.range.start.character,
        severity: d.severity,
        code: d.code,
        message: d.message,
      }));

      assert.deepEqual(
        sortProblems(cli),
        sortProblems(editor),
        "expman validate and the editor report the same problems",
      );
      const errors = editor.filter((p) => p.severity === "error");
      assert.equal(errors.length, c.errors.length, JSON.stringify(errors));
      for (const re of c.errors)
        assert.ok(
          errors.some((e) => re.test(e.message)),
          `${re} in ${JSON.stringify(errors)}`,
        );
      assert.equal(validate.status, errors.length ? 1 : 0, validate.stderr);

      // Run: refuses exactly the editor's errors, or runs.
      const run = spawnSync(process.execPath, [CLI, "run", dir, "--quiet"], { encoding: "utf8", timeout: 120_000 });
      if (errors.length) {
        assert.equal(run.status, 2, run.stderr);
        const printed = run.stderr.split("\n").filter((l) => /:\d+:\d+: error: /.test(l));
        const expected = errors.map((e) => `${e.file}:${e.line + 1}:${e.character + 1}: error: ${e.message}`);
        assert.deepEqual(printed.sort(), expected.sort());
      } else {
        assert.equal(run.status, 0, run.stderr);
      }
    });
  }
});
