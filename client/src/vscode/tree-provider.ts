/**
 * The Experiments view: TreeModel's nodes as VS Code tree items. Live changes refresh only the
 * rows they concern (a run's row, an experiment's row; core/tree-refresh.ts), coalesced to a
 * few a second, so a training run's event stream neither floods the view nor reloads a
 * 10,000-run experiment; the roots are reloaded only when experiments appear or go.
 */
import * as vscode from "vscode";
import { NodeNotFoundError, RuntimeNotFoundError } from "../core/runtime-locator";
import { TreeModel, type TreeNode } from "../core/tree-model";
import { adopt, diffRoots, isRunningRow, LoadedTree } from "../core/tree-refresh";
import type { Ctx } from "./ctx";
import type { Databases } from "./databases";

export const VIEW_ID = "experimentManager.experiments";

/**
 * Reloads of the whole tree closer together than this are merged into one. VS Code's tree lets
 * a reload start while another is still fetching rows (both wait for the same "done"), and two
 * at once can leave stale rows drawn over live ones (seen in the real editor while several
 * experiments started and ended).
 */
const MIN_RELOAD_GAP_MS = 300;

export class ExperimentsTree implements vscode.TreeDataProvider<TreeNode>, vscode.Disposable {
  readonly model: TreeModel;
  private readonly changed = new vscode.EventEmitter<TreeNode | undefined>();
  readonly onDidChangeTreeData = this.changed.event;
  private readonly loadedTree = new LoadedTree();
  private refreshTimer: NodeJS.Timeout | undefined;
  private lastRefresh = 0;
  /** Runs and experiments whose rows wait for a coalesced refresh; `checkRoots`: compare the roots too. */
  private readonly pending = { runs: new Set<string>(), experiments: new Set<string>(), checkRoots: false };
  private pendingTimer: NodeJS.Timeout | undefined;
  /** How many rows each kind of refresh re-rendered (the tests and the soak read it). */
  readonly refreshCounts = { full: 0, rows: 0 };
  private readonly populated = new vscode.EventEmitter<TreeNode[]>();
  /** Fires with the root nodes each time the roots were (re)loaded. */
  readonly onDidPopulate = this.populated.event;
  private shownView: vscode.TreeView<TreeNode> | undefined;
  private viewListener: vscode.Disposable | undefined;
  /** Something changed while the view was hidden: it reloads once when shown. */
  private missedWhileHidden = false;

  constructor(
    private readonly ctx: Ctx,
    private readonly databases: Databases,
  ) {
    this.model = new TreeModel(ctx.request, ctx.live);
  }

  get view(): vscode.TreeView<TreeNode> | undefined {
    return this.shownView;
  }

  /** The view showing this tree: while it is hidden, changes wait and it reloads once when shown. */
  set view(view: vscode.TreeView<TreeNode> | undefined) {
    this.viewListener?.dispose();
    this.shownView = view;
    this.viewListener = view?.onDidChangeVisibility(({ visible }) => {
      if (visible && this.missedWhileHidden) this.refresh(0);
    });
  }

  /** Reloads the whole tree now, or within `delayMs`; reloads are at least MIN_RELOAD_GAP_MS apart. */
  refresh(delayMs = 0): void {
    if (this.shownView && !this.shownView.visible) {
      this.missedWhileHidden = true;
      return;
    }
    const wait = Math.max(delayMs, MIN_RELOAD_GAP_MS - (Date.now() - this.lastRefresh));
    if (wait > 0) {
      this.refreshTimer ??= setTimeout(() => {
        this.refreshTimer = undefined;
        this.refresh(0);
      }, wait);
      return;
    }
    if (this.refreshTimer) clearTimeout(this.refreshTimer);
    this.refreshTimer = undefined;
    this.missedWhileHidden = false;
    this.lastRefresh = Date.now();
    this.refreshCounts.full++;
    this.changed.fire(undefined);
  }

  /** A run's live state changed (epoch, end): its row is re-rendered within `delayMs`. */
  runChanged(uid: string, delayMs = 400): void {
    this.pending.runs.add(uid);
    this.schedule(delayMs);
  }

  /** An experiment's rows below changed (its planned runs were written): its row reloads its children. */
  experimentChanged(uid: string, delayMs = 200): void {
    this.pending.experiments.add(uid);
    this.schedule(delayMs);
  }

  /**
   * Something was written that the extension has no events for (a run started elsewhere, a
   * run that ended): the roots are read again and only rows whose figures changed, or that
   * show a running experiment, are refreshed; a full reload only when rows came or went.
   */
  rootsMayHaveChanged(delayMs = 0): void {
    this.pending.checkRoots = true;
    this.schedule(delayMs);
  }

  private schedule(delayMs: number): void {
    if (this.pendingTimer) return;
    this.pendingTimer = setTimeout(() => {
      this.pendingTimer = undefined;
      void this.flushPending();
    }, delayMs);
  }

  private async flushPending(): Promise<void> {
    const runs = [...this.pending.runs];
    const experiments = [...this.pending.experiments];
    const checkRoots = this.pending.checkRoots;
    this.pending.runs.clear();
    this.pending.experiments.clear();
    this.pending.checkRoots = false;
    const rows = new Map<string, TreeNode>();
    let full = false;
    try {
      for (const uid of experiments) {
        const found = this.loadedTree.experimentRows(uid);
        // An experiment the tree has not shown yet is a new root row.
        if (found.length === 0) full = true;
        for (const n of found) rows.set(n.id, n);
      }
      for (const uid of runs) {
        for (const row of this.loadedTree.runRows(uid)) {
          // An ended run: read its final figures once; while it runs, the live state is enough.
          if (this.model.runStatus(row.run).status !== "RUNNING") {
            const fresh = await this.ctx.request("run.get", { db: row.db, runId: row.run.id }).catch(() => null);
            if (fresh) Object.assign(row.run, fresh);
          }
          rows.set(row.id, row);
        }
      }
      if (checkRoots && !full) {
        const dbs = await this.databases.list();
        const fresh = dbs.length === 0 ? [] : await this.model.roots(dbs, this.ctx.workspaceRoots[0]);
        const shown = this.loadedTree.roots.filter((n) => n.kind !== "starting");
        const diff = diffRoots(shown, fresh);
        // A "starting…" row comes or goes (a run started, or its experiment is listed now): rows move.
        const startingIds = (nodes: TreeNode[]) => nodes.map((n) => n.id).join("\n");
        const startingShown = this.loadedTree.roots.filter((n) => n.kind === "starting");
        if (diff.structural || startingIds(startingShown) !== startingIds(this.starting(fresh))) full = true;
        for (const { old, fresh: f } of diff.changed) {
          adopt(old, f);
          rows.set(old.id, old);
        }
        for (const n of shown) if (isRunningRow(n)) rows.set(n.id, n);
      }
    } catch {
      full = true;
    }
    if (full) return this.refresh(0);
    // A reload on its way shows these rows too; a hidden view reloads when shown.
    if (this.refreshTimer) return;
    if (this.shownView && !this.shownView.visible) {
      if (rows.size > 0) this.missedWhileHidden = true;
      return;
    }
    for (const n of rows.values()) {
      this.refreshCounts.rows++;
      this.changed.fire(n);
    }
  }

  getTreeItem(node: TreeNode): vscode.TreeItem {
    const p = this.model.present(node);
    const item = new vscode.TreeItem(
      p.label,
      p.collapsible === "none"
        ? vscode.TreeItemCollapsibleState.None
        : p.collapsible === "expanded"
          ? vscode.TreeItemCollapsibleState.Expanded
          : vscode.TreeItemCollapsibleState.Collapsed,
    );
    item.id = node.id;
    item.description = p.description;
    item.tooltip = new vscode.MarkdownString(p.tooltip);
    item.iconPath = new vscode.ThemeIcon(p.icon.id, p.icon.color ? new vscode.ThemeColor(p.icon.color) : undefined);
    item.contextValue = p.contextValue;
    if (node.kind === "checkpoint" && node.checkpoint.exists !== false) {
      item.resourceUri = vscode.Uri.file(node.checkpoint.path);
      item.command = { command: "experimentManager.openCheckpoint", title: "Open Checkpoint", arguments: [node] };
    } else if (node.kind === "artifact") {
      item.resourceUri = vscode.Uri.file(node.artifact.path);
      item.command = { command: "vscode.open", title: "Open Artifact", arguments: [item.resourceUri] };
    } else if (node.kind === "message" && node.action === "openSettings") {
      item.command = {
        command: "workbench.action.openSettings",
        title: "Open Settings",
        arguments: ["experimentManager.nodePath"],
      };
    } else if (node.kind === "more") {
      item.command = { command: "experimentManager.showMore", title: "Show More", arguments: [node] };
    } else if (node.kind === "message" && node.action === "installRuntime") {
      item.command = { command: "experimentManager.installRuntime", title: "Install Runtime" };
    }
    return item;
  }

  async getChildren(node?: TreeNode): Promise<TreeNode[]> {
    let children: TreeNode[];
    try {
      if (!node) {
        const dbs = await this.databases.list();
        const roots = dbs.length === 0 ? [] : await this.model.roots(dbs, this.ctx.workspaceRoots[0]);
        children = [...this.starting(roots), ...roots];
      } else {
        children = await this.model.children(node);
      }
    } catch (e) {
      children = [this.errorNode(e, node)];
    }
    this.loadedTree.record(node, children);
    if (!node) this.populated.fire(children);
    return children;
  }

  /**
   * Experiments started here that the databases do not list yet: shown at once (Run to a row
   * in the tree without waiting for the process to start), replaced by the real experiment row
   * as soon as its database has it.
   */
  private starting(roots: TreeNode[]): TreeNode[] {
    // An experiment is listed as its own row or, run from the same folder before, as a launch of a group row.
    const known = new Set(
      roots.flatMap((r) =>
        r.kind === "experiment" ? [r.experiment.uid] : r.kind === "group" ? r.launches.map((l) => l.uid) : [],
      ),
    );
    const preparing: TreeNode[] = [...this.ctx.preparing].map(([id, p]) => ({
      kind: "starting",
      id: `preparing/${id}`,
      name: p.name,
      configDir: p.configDir,
      managedId: -1,
      queued: false,
    }));
    const started: TreeNode[] = this.ctx.runs
      .active()
      .filter((r) => !(r.process.experimentUid && known.has(r.process.experimentUid)))
      .map((r) => ({
        kind: "starting",
        id: `starting/${r.id}`,
        name: r.name,
        configDir: r.configDir,
        managedId: r.id,
        queued: r.state === "queued",
      }));
    return [...preparing, ...started];
  }

  getParent(node: TreeNode): TreeNode | undefined {
    return this.loadedTree.parentOf(node);
  }

  /** "Show more" on a paged list: its parent row shows the next page (only that row reloads). */
  showMore(more: TreeNode): void {
    if (more.kind !== "more") return;
    this.model.showMore(more.parentId);
    const parent = this.loadedTree.get(more.parentId);
    if (!parent) return this.refresh(0);
    this.refreshCounts.rows++;
    this.changed.fire(parent);
  }

  private errorNode(e: unknown, parent?: TreeNode): TreeNode {
    const id = `${parent?.id ?? "root"}#error`;
    if (e instanceof NodeNotFoundError)
      return {
        kind: "message",
        id,
        label: "Node.js not found",
        detail: e.message,
        severity: "error",
        action: "openSettings",
      };
    if (e instanceof RuntimeNotFoundError)
      return {
        kind: "message",
        id,
        label: "Runtime not installed",
        detail: e.message,
        severity: "error",
        action: "installRuntime",
      };
    const message = e instanceof Error ? e.message : String(e);
    return { kind: "message", id, label: "Could not load", detail: message, severity: "error" };
  }

  /** Every node loaded so far (the suites and reveal use it). */
  loaded(): TreeNode[] {
    return this.loadedTree.all();
  }

  /** A reload waiting for its turn runs now: a reveal must find the rows the view will show. */
  private reloadNow(): void {
    if (!this.refreshTimer) return;
    clearTimeout(this.refreshTimer);
    this.refreshTimer = undefined;
    this.lastRefresh = 0;
    this.refresh(0);
  }

  /** Expands the path to a checkpoint and selects it. */
  async revealCheckpoint(target: { runId: number; checkpointId: number; db?: string }): Promise<boolean> {
    this.reloadNow();
    const roots = await this.getChildren();
    const launches: TreeNode[] = [];
    for (const r of roots.filter(
      (n) => (n.kind === "experiment" || n.kind === "group") && (!target.db || n.db === target.db),
    ))
      launches.push(...(r.kind === "group" ? await this.getChildren(r) : [r]));
    for (const exp of launches) {
      for (const trial of await this.getChildren(exp)) {
        for (const run of await this.getChildren(trial)) {
          if (run.kind !== "run" || run.run.id !== target.runId) continue;
          const group = (await this.getChildren(run)).find((n) => n.kind === "checkpoints");
          if (!group) return false;
          const cp = (await this.getChildren(group)).find(
            (n) => n.kind === "checkpoint" && n.checkpoint.id === target.checkpointId,
          );
          if (cp && this.view) await this.view.reveal(cp, { select: true, focus: true, expand: true });
          return Boolean(cp);
        }
      }
    }
    return false;
  }

  dispose(): void {
    this.viewListener?.dispose();
    if (this.refreshTimer) clearTimeout(this.refreshTimer);
    if (this.pendingTimer) clearTimeout(this.pendingTimer);
    this.changed.dispose();
    this.populated.dispose();
  }
}
