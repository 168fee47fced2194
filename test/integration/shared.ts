// Helpers shared by the extension's real-editor suites (bundled into each suite by esbuild).
import * as fs from "node:fs";
import * as path from "node:path";
import * as vscode from "vscode";
import { waitFor } from "../rig/host";

// The extension's exported API, as the suites use it. Declared here rather than imported from
// client/src: the rig type-checks suites with node10 resolution, which cannot see the runtime's
// subpath exports that the client's types use.
export interface Run {
  id: number;
  uid: string;
  trialName: string;
  repeat: number;
  status: string;
  error: { message: string } | null;
}
export type TreeNode =
  | { kind: "starting"; id: string; name: string; managedId: number; queued: boolean }
  | { kind: "message"; id: string; label: string; detail: string; db?: string }
  | { kind: "experiment"; id: string; db: string; experiment: { id: number; title: string; startTime: number } }
  | { kind: "trial"; id: string; db: string }
  | { kind: "run"; id: string; db: string; run: Run }
  | { kind: "epochs" | "checkpoints"; id: string; db: string }
  | { kind: "epoch"; id: string; db: string }
  | { kind: "checkpoint"; id: string; db: string; checkpoint: { path: string; final: boolean } };
export interface Outcome {
  exitCode: number | null;
  stopped: boolean;
  stderrTail: string;
  runs: { trial: string; repeat: number; status: string; error?: { message: string } }[];
}
export interface ManagedRun {
  startedAt?: number;
  firstEpochMs?: number;
  process: { lastProgress?: { epoch: number | null }; experimentUid?: string };
}
export interface RunCommandResult {
  started: boolean;
  runId?: number;
  reason?: string;
  errors?: string[];
}
export interface ExperimentManagerApi {
  activationMs: number;
  runs: {
    all(): { id: number; name: string; process: { experimentUid?: string } }[];
    get(id: number): ManagedRun | undefined;
    finished(id: number): Promise<Outcome | undefined>;
  };
  tree: {
    getChildren(node?: TreeNode): Promise<TreeNode[]>;
    model: { present(node: TreeNode): { label: string; description?: string; tooltip: string; icon: { id: string } } };
  };
  databases: { invalidate(): void };
  messages: readonly { severity: string; text: string }[];
  languageServerReady: Promise<unknown>;
  resetServices(): void;
}

export const EXTENSION_ID = "expman.experiment-manager";

export async function api(): Promise<ExperimentManagerApi> {
  const ext = vscode.extensions.getExtension<ExperimentManagerApi>(EXTENSION_ID);
  if (!ext) throw new Error(`${EXTENSION_ID} is not installed`);
  return ext.activate();
}

export function configUri(name: string): vscode.Uri {
  const root = vscode.workspace.workspaceFolders![0].uri.fsPath;
  return vscode.Uri.file(path.join(root, "configs", name, "base.yaml"));
}

/** Root nodes after a refresh, once `accept` holds. */
export async function roots(
  a: ExperimentManagerApi,
  what: string,
  accept: (nodes: TreeNode[]) => boolean,
  timeoutMs = 20_000,
): Promise<TreeNode[]> {
  return waitFor(
    what,
    async () => {
      a.databases.invalidate();
      const nodes = await a.tree.getChildren();
      return accept(nodes) ? nodes : undefined;
    },
    timeoutMs,
    250,
  );
}

/** Experiment > trial > run nodes of an experiment, by title. */
export async function runsOf(a: ExperimentManagerApi, title: string): Promise<Extract<TreeNode, { kind: "run" }>[]> {
  const all = await a.tree.getChildren();
  const exp = all
    .filter(
      (n): n is Extract<TreeNode, { kind: "experiment" }> => n.kind === "experiment" && n.experiment.title === title,
    )
    .sort((x, y) => y.experiment.startTime - x.experiment.startTime)[0];
  if (!exp) return [];
  const out: Extract<TreeNode, { kind: "run" }>[] = [];
  for (const trial of await a.tree.getChildren(exp)) {
    for (const run of await a.tree.getChildren(trial)) if (run.kind === "run") out.push(run);
  }
  return out;
}

/** Writes figures the benchmark (test/bench/client.ts) prints as real-editor numbers. */
export function recordTiming(name: string, ms: number): void {
  const repo = process.env.EXPMAN_REPO_ROOT;
  if (!repo) return;
  const file = path.join(repo, "test", "artifacts", "extension-timings.json");
  let data: Record<string, number> = {};
  try {
    data = JSON.parse(fs.readFileSync(file, "utf8"));
  } catch {
    /* first figure */
  }
  data[name] = Math.round(ms * 10) / 10;
  fs.mkdirSync(path.dirname(file), { recursive: true });
  fs.writeFileSync(file, JSON.stringify(data, null, 2));
}
