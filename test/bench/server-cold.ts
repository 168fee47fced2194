/**
 * The language server's cold start (issue 15.3), measured from outside: a fresh server process
 * each round (the bundle over stdio, driven by the tests' client, server/test/helpers/lsp-client.ts),
 * time from `didOpen` of a 5,000-line trials.yaml to its first `publishDiagnostics`, and from
 * process start to that moment. Several rounds; prints each and the median, with the load average.
 * With `yaml-language-server` installed (npm), the same file is timed there too, with the
 * generated JSON schema for trials.yaml.
 * Run: npx tsx test/bench/server-cold.ts [rounds]
 */
import { existsSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { trialsYaml } from "../../runtime/test/helpers/trials-yaml";
import { copyFixture } from "../../server/test/helpers/fixtures";
import { LspClient, serverBundle } from "../../server/test/helpers/lsp-client";
import { loadAverage, median } from "./figures";

const ROUNDS = Number(process.argv[2] ?? 7);
const REPO = join(__dirname, "..", "..");

/** The bench fixture (a registered Train pipeline, env/experiment/base) with a 5,000-line trials.yaml. */
function workspace(): { root: string; trials: string; text: string; dispose: () => void } {
  const ws = copyFixture("bench");
  const text = trialsYaml(5000);
  const trials = ws.path("configs/trials.yaml");
  writeFileSync(trials, text);
  return { root: ws.root, trials, text, dispose: ws.dispose };
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
  const client = await LspClient.start(root, {
    command,
    env: { EXPMAN_LS_TRACE: "1" },
    watch: false,
    configuration: settings ?? null,
  });
  try {
    const opened = performance.now();
    const uri = await client.open(file, text);
    await client.waitFor(() => client.diagnostics.has(uri), "the first diagnostics", 60_000);
    const at = performance.now();
    const problems = client.diagnostics.get(uri)!.diagnostics.length;
    // Ours sends the trace line ("validated … (N ms of CPU …") right after the diagnostics.
    const cpuOf = () =>
      client.logs.map((l) => /validated .* \(([\d.]+) ms of CPU/.exec(l)).find((m) => m !== null)?.[1];
    for (let i = 0; i < 50 && cpuOf() === undefined && command[1].endsWith("server.js"); i++)
      await new Promise((r) => setTimeout(r, 10));
    const cpu = cpuOf();
    return {
      firstDiagnostics: at - opened,
      total: at - started,
      problems,
      cpu: cpu === undefined ? undefined : Number(cpu),
    };
  } finally {
    await client.stop();
  }
}

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
    `trials.yaml: 5,000 lines, ${(ws.text.length / 1024).toFixed(0)} KB; ${ROUNDS} fresh processes each; load average ${loadAverage()}`,
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
    ws.dispose();
  }
  console.log(`load average ${loadAverage()}`);
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
