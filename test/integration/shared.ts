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
  /** What the run warned about, as stored with it (e.g. `no checkpoint saved: <why>`). */
  warning?: string | null;
}
export interface Launch {
  id: number;
  uid: string;
  title: string;
  startTime: number;
  status: string;
  configDir: string | null;
  runStatusCounts?: Record<string, number>;
}
export type TreeNode =
  | { kind: "starting"; id: string; name: string; managedId: number; queued: boolean }
  | { kind: "message"; id: string; label: string; detail: string; db?: string }
  | { kind: "experiment"; id: string; db: string; experiment: Launch }
  /** An experiment launched more than once from its folder: one row per launch below, newest first. */
  | { kind: "group"; id: string; db: string; title: string; launches: Launch[] }
  | { kind: "more"; id: string; db: string; parentId: string; shown: number; total: number }
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
  process: {
    lastProgress?: { epoch: number | null };
    experimentUid?: string;
    seenRuns?: { trial: string; repeat: number; status: string }[];
  };
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
    model: {
      present(node: TreeNode): {
        label: string;
        description?: string;
        tooltip: string;
        icon: { id: string };
        contextValue: string;
      };
    };
    /** The Experiments view (set once it is created). */
    view?: vscode.TreeView<TreeNode>;
    /** How many times the tree was reloaded whole, and how many rows were refreshed on their own. */
    refreshCounts: { full: number; rows: number };
    /** A row to re-render (undefined: the whole tree). */
    onDidChangeTreeData: vscode.Event<TreeNode | undefined | void>;
    /** Reloads the whole tree (now, or within `delayMs`; reloads are kept apart). */
    refresh(delayMs?: number): void;
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

/** The launches a root row stands for: an experiment row's one, a group's all (newest first). */
export function launchesOf(n: TreeNode): Launch[] {
  return n.kind === "experiment" ? [n.experiment] : n.kind === "group" ? n.launches : [];
}

/** Whether a root row is the experiment `title` (one launch, or a group of launches). */
export function isExperimentRow(n: TreeNode, title?: string): boolean {
  return launchesOf(n).some((e) => title === undefined || e.title === title);
}

/** The newest launch of an experiment, by title, as its tree node (a group's first child). */
export async function latestLaunch(
  a: ExperimentManagerApi,
  title: string,
): Promise<Extract<TreeNode, { kind: "experiment" }> | undefined> {
  const rows = (await a.tree.getChildren()).filter((n) => isExperimentRow(n, title));
  const newest = rows.sort((x, y) => launchesOf(y)[0].startTime - launchesOf(x)[0].startTime)[0];
  if (!newest) return undefined;
  if (newest.kind === "experiment") return newest;
  const [first] = await a.tree.getChildren(newest);
  return first?.kind === "experiment" ? first : undefined;
}

/** Experiment > trial > run nodes of the newest launch of an experiment, by title. */
export async function runsOf(a: ExperimentManagerApi, title: string): Promise<Extract<TreeNode, { kind: "run" }>[]> {
  const exp = await latestLaunch(a, title);
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
