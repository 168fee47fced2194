/**
 * What the tree re-renders when something changes, so a 10,000-run experiment is never
 * reloaded whole on every event: the rows loaded so far are indexed by the run and experiment
 * they show, and a change names the rows to refresh. A full reload is left for when the list
 * of experiments itself changed. No `vscode`: the provider fires what this returns.
 */
import type { ExperimentSummary } from "@expman/runtime/contracts";
import type { TreeNode } from "./tree-model";

/** The rows the tree has handed out, by id, with their parents and by the run or experiment they show. */
export class LoadedTree {
  private readonly nodes = new Map<string, TreeNode>();
  private readonly parents = new Map<string, string | undefined>();
  private readonly byRun = new Map<string, Set<string>>();
  private readonly byExperiment = new Map<string, Set<string>>();
  /** The root rows of the last full load. */
  roots: TreeNode[] = [];

  /** Notes the children handed out for `parent` (undefined: the roots). */
  record(parent: TreeNode | undefined, children: TreeNode[]): void {
    if (!parent) this.roots = children;
    for (const c of children) {
      this.nodes.set(c.id, c);
      this.parents.set(c.id, parent?.id);
      if (c.kind === "run") index(this.byRun, c.run.uid, c.id);
      if (c.kind === "experiment") index(this.byExperiment, c.experiment.uid, c.id);
      if (c.kind === "group") for (const e of c.launches) index(this.byExperiment, e.uid, c.id);
    }
  }

  get(id: string): TreeNode | undefined {
    return this.nodes.get(id);
  }

  parentOf(node: TreeNode): TreeNode | undefined {
    const id = this.parents.get(node.id);
    return id === undefined ? undefined : this.nodes.get(id);
  }

  all(): TreeNode[] {
    return [...this.nodes.values()];
  }

  /** The loaded rows of a run (by uid): usually one. */
  runRows(uid: string): Extract<TreeNode, { kind: "run" }>[] {
    return rows(this.nodes, this.byRun.get(uid)).filter((n) => n.kind === "run");
  }

  /** The loaded rows of an experiment (by uid): its launch row and the group it is in. */
  experimentRows(uid: string): TreeNode[] {
    return rows(this.nodes, this.byExperiment.get(uid));
  }
}

function index(map: Map<string, Set<string>>, key: string, id: string): void {
  let set = map.get(key);
  if (!set) map.set(key, (set = new Set()));
  set.add(id);
}

function rows<T extends TreeNode>(nodes: Map<string, TreeNode>, ids: Set<string> | undefined): T[] {
  const out: T[] = [];
  for (const id of ids ?? []) {
    const n = nodes.get(id);
    if (n) out.push(n as T);
  }
  return out;
}

/** What a fresh list of roots means for the rows shown. */
export interface RootsDiff {
  /** Rows were added, removed, regrouped or reordered: reload the roots. */
  structural: boolean;
  /** Same rows, some with new figures (status, run counts): `old` takes `fresh`'s data, then refresh `old`. */
  changed: { old: TreeNode; fresh: TreeNode }[];
}

const summaryKey = (e: ExperimentSummary) =>
  JSON.stringify([e.status, e.runCount, e.trialCount, e.endTime, e.runStatusCounts ?? null]);

function rowKey(n: TreeNode): string {
  if (n.kind === "experiment") return summaryKey(n.experiment);
  if (n.kind === "group") return n.launches.map(summaryKey).join("|");
  if (n.kind === "message") return `${n.label}\n${n.detail}`;
  return "";
}

/** Compares the shown roots with a fresh load. */
export function diffRoots(shown: TreeNode[], fresh: TreeNode[]): RootsDiff {
  if (shown.length !== fresh.length || shown.some((n, i) => n.id !== fresh[i].id || n.kind !== fresh[i].kind))
    return { structural: true, changed: [] };
  const changed = shown
    .map((old, i) => ({ old, fresh: fresh[i] }))
    .filter(({ old, fresh }) => rowKey(old) !== rowKey(fresh));
  return { structural: false, changed };
}

/** Copies a fresh row's data into the shown row (the editor knows rows by the object it was given). */
export function adopt(old: TreeNode, fresh: TreeNode): void {
  Object.assign(old, fresh);
}

/**
 * Whether a root row shows an experiment that may still be running (its rows below may move
 * without its summary changing). The Python original records no status: an experiment of its
 * database may be being written (a run started with experimentManager.python.runCommand), so
 * its rows are re-read when a database changes, as a RUNNING one's are.
 */
export function isRunningRow(n: TreeNode): boolean {
  const open = (e: ExperimentSummary) => e.status === "RUNNING" || e.origin === "python-original";
  return (n.kind === "experiment" && open(n.experiment)) || (n.kind === "group" && n.launches.some(open));
}
