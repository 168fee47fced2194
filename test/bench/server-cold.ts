/**
 * The language server's cold start (issue 15.3), measured from outside: a fresh server process
 * each round (the bundle, over stdio, with an independent protocol client), time from
 * `didOpen` of a 5,000-line trials.yaml to its first `publishDiagnostics`, and from process
 * start to that moment. Several rounds; prints each and the median, with the load average.
 * With `yaml-language-server` installed (npm), the same file is timed there too, with the
 * generated JSON schema for trials.yaml.
 * Run: npx tsx test/bench/server-cold.ts [rounds]
 */
import { spawn } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { loadavg, tmpdir } from "node:os";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import {
  createProtocolConnection,
  StreamMessageReader,
  StreamMessageWriter,
} from "vscode-languageserver-protocol/node";
import { serverBundle } from "../../server/test/helpers/lsp-client";

const ROUNDS = Number(process.argv[2] ?? 7);
const REPO = join(__dirname, "..", "..");

function trialsText(lines: number): string {
  const out: string[] = [];
  for (let i = 0; out.length < lines; i++) {
    out.push(
      `- name: trial-${i}`,
      `  repeat: ${1 + (i % 3)}`,
      `  desc: sweep point ${i}`,
      "  settings:",
      `    seed: ${i}`,
      "    pipeline:",
      `      lr: ${(0.001 * (1 + (i % 10))).toFixed(3)}`,
      `      epochs: ${5 + (i % 5)}`,
      "      callbacks:",
      "        - type: EarlyStopping",
      `          metric: ${i % 2 ? "val_loss" : "val_acc"}`,
      `          patience: ${2 + (i % 4)}`,
    );
  }
  return `${out.slice(0, lines).join("\n")}\n`;
}

function workspace(): { root: string; trials: string; text: string } {
  const root = mkdtempSync(join(tmpdir(), "expman-cold-"));
  mkdirSync(join(root, "src"));
  mkdirSync(join(root, "configs"));
  writeFileSync(
    join(root, "src", "train.ts"),
    'import { register, Pipeline } from "@expman/runtime";\n@register("Train")\nexport class Train extends Pipeline {\n  static params = { lr: { type: "number" }, epochs: { type: "integer", required: true } };\n}\n',
  );
  writeFileSync(
    join(root, "configs", "env.yaml"),
    "workspace: out\ntrackers:\n  - type: LogTracker\nimports:\n  - ../src/train.ts\n",
  );
  writeFileSync(join(root, "configs", "experiment.yaml"), "name: bench\ndesc: benchmark\n");
  writeFileSync(join(root, "configs", "base.yaml"), "pipeline:\n  type: Train\n  epochs: 3\n");
  const text = trialsText(5000);
  const trials = join(root, "configs", "trials.yaml");
  writeFileSync(trials, text);
  return { root, trials, text };
}

interface Round {
  /** didOpen to the first publishDiagnostics of the file. */
  firstDiagnostics: number;
  /** Process start to that moment. */
  total: number;
  problems: number;
  /** CPU time of that first validation in the server (ours only, from its trace log): apart from the load. */
  cpu?: number;
}

async function coldRound(
  command: string[],
  root: string,
  file: string,
  text: string,
  settings?: unknown,
): Promise<Round> {
  const started = performance.now();
  const child = spawn(command[0], command.slice(1), {
    stdio: ["pipe", "pipe", "pipe"],
    env: { ...process.env, EXPMAN_LS_TRACE: "1" },
  });
  child.stderr.on("data", () => undefined);
  const connection = createProtocolConnection(
    new StreamMessageReader(child.stdout),
    new StreamMessageWriter(child.stdin),
  );
  const uri = pathToFileURL(file).toString();
  let opened = 0;
  const first = new Promise<{ at: number; problems: number }>((resolve) => {
    connection.onNotification("textDocument/publishDiagnostics", (p: { uri: string; diagnostics: unknown[] }) => {
      if (p.uri === uri) resolve({ at: performance.now(), problems: p.diagnostics.length });
    });
  });
  connection.onRequest("workspace/configuration", (params: { items: unknown[] }) =>
    params.items.map(() => settings ?? null),
  );
  connection.onRequest("client/registerCapability", () => null);
  let cpu: number | undefined;
  connection.onNotification("window/logMessage", (p: { message: string }) => {
    const m = /validated .* \(([\d.]+) ms of CPU/.exec(p.message);
    if (m && cpu === undefined) cpu = Number(m[1]);
  });
  connection.listen();
  try {
    await connection.sendRequest("initialize", {
      processId: process.pid,
      rootUri: pathToFileURL(root).toString(),
      workspaceFolders: [{ uri: pathToFileURL(root).toString(), name: "ws" }],
      capabilities: {
        workspace: { configuration: true, didChangeConfiguration: { dynamicRegistration: true } },
        textDocument: { publishDiagnostics: { versionSupport: true } },
      },
    });
    await connection.sendNotification("initialized", {});
    if (settings) await connection.sendNotification("workspace/didChangeConfiguration", { settings });
    opened = performance.now();
    await connection.sendNotification("textDocument/didOpen", {
      textDocument: { uri, languageId: "yaml", version: 1, text },
    });
    const { at, problems } = await Promise.race([
      first,
      new Promise<never>((_, reject) => setTimeout(() => reject(new Error("no diagnostics within 60 s")), 60_000)),
    ]);
    // The trace line is sent right after the diagnostics.
    for (let i = 0; i < 50 && cpu === undefined && command[1].endsWith("server.js"); i++)
      await new Promise((r) => setTimeout(r, 10));
    return { firstDiagnostics: at - opened, total: at - started, problems, cpu };
  } finally {
    connection.dispose();
    child.kill();
  }
}

const median = (v: number[]) => [...v].sort((a, b) => a - b)[Math.floor(v.length / 2)];
const fmt = (v: number) => `${v.toFixed(0)} ms`;

async function series(
  name: string,
  command: string[],
  ws: { root: string; trials: string; text: string },
  settings?: unknown,
): Promise<void> {
  const rounds: Round[] = [];
  for (let i = 0; i < ROUNDS; i++) rounds.push(await coldRound(command, ws.root, ws.trials, ws.text, settings));
  console.log(
    `${name}: didOpen -> first diagnostics median ${fmt(median(rounds.map((r) => r.firstDiagnostics)))} ` +
      `[${rounds.map((r) => r.firstDiagnostics.toFixed(0)).join(", ")}]; process start -> diagnostics median ${fmt(median(rounds.map((r) => r.total)))}; ` +
      `${rounds[0].problems} problem(s)`,
  );
  const cpu = rounds.map((r) => r.cpu).filter((c): c is number => c !== undefined);
  if (cpu.length)
    console.log(
      `  its first validation's CPU time: median ${fmt(median(cpu))} [${cpu.map((c) => c.toFixed(0)).join(", ")}]`,
    );
}

async function main(): Promise<void> {
  const bundle = await serverBundle();
  const ws = workspace();
  console.log(
    `trials.yaml: 5,000 lines, ${(ws.text.length / 1024).toFixed(0)} KB; ${ROUNDS} fresh processes each; load average ${loadavg()
      .map((l) => l.toFixed(2))
      .join(" ")}`,
  );
  try {
    await series("expman language server", [process.execPath, bundle, "--stdio"], ws);
    const yls = join(REPO, "node_modules", "yaml-language-server", "bin", "yaml-language-server");
    if (existsSync(yls)) {
      const schema = pathToFileURL(join(REPO, "server", "schemas", "trials.schema.json")).toString();
      await series("yaml-language-server (JSON schema)", [process.execPath, yls, "--stdio"], ws, {
        yaml: { validate: true, schemas: { [schema]: ["**/trials.yaml"] } },
      });
    } else {
      console.log("yaml-language-server: not installed (npm i -D yaml-language-server to compare)");
    }
  } finally {
    rmSync(ws.root, { recursive: true, force: true });
  }
  console.log(
    `load average ${loadavg()
      .map((l) => l.toFixed(2))
      .join(" ")}`,
  );
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
