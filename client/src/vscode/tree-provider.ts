/**
 * The Experiments view: TreeModel's nodes as VS Code tree items. Refreshes are coalesced
 * (a few a second at most) so a training run's event stream cannot flood the view.
 */
import * as vscode from "vscode";
import { NodeNotFoundError, RuntimeNotFoundError } from "../core/runtime-locator";
import { TreeModel, type TreeNode } from "../core/tree-model";
import type { Ctx } from "./ctx";
import type { Databases } from "./databases";

export const VIEW_ID = "experimentManager.experiments";

export class ExperimentsTree implements vscode.TreeDataProvider<TreeNode>, vscode.Disposable {
  readonly model: TreeModel;
  private readonly changed = new vscode.EventEmitter<TreeNode | undefined>();
  readonly onDidChangeTreeData = this.changed.event;
  private readonly parents = new Map<string, TreeNode | undefined>();
  private readonly nodes = new Map<string, TreeNode>();
  private refreshTimer: NodeJS.Timeout | undefined;
  private lastRefresh = 0;
  private readonly populated = new vscode.EventEmitter<TreeNode[]>();
  /** Fires with the root nodes each time the roots were (re)loaded. */
  readonly onDidPopulate = this.populated.event;
  view: vscode.TreeView<TreeNode> | undefined;

  constructor(
    private readonly ctx: Ctx,
    private readonly databases: Databases,
  ) {
    this.model = new TreeModel(ctx.request, ctx.live);
  }

  /** Refreshes now, or coalesced within `delayMs` (used for live updates). */
  refresh(delayMs = 0): void {
    if (delayMs <= 0) {
      if (this.refreshTimer) clearTimeout(this.refreshTimer);
      this.refreshTimer = undefined;
      this.lastRefresh = Date.now();
      this.changed.fire(undefined);
      return;
    }
    if (this.refreshTimer) return;
    const wait = Math.max(0, delayMs - (Date.now() - this.lastRefresh));
    this.refreshTimer = setTimeout(() => this.refresh(0), wait);
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
    for (const c of children) {
      this.parents.set(c.id, node);
      this.nodes.set(c.id, c);
    }
    if (!node) this.populated.fire(children);
    return children;
  }

  /**
   * Experiments started here that the databases do not list yet: shown at once (Run to a row
   * in the tree without waiting for the process to start), replaced by the real experiment row
   * as soon as its database has it.
   */
  private starting(roots: TreeNode[]): TreeNode[] {
    const known = new Set(roots.flatMap((r) => (r.kind === "experiment" ? [r.experiment.uid] : [])));
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
    return this.parents.get(node.id);
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
    return [...this.nodes.values()];
  }

  /** Expands the path to a checkpoint and selects it. */
  async revealCheckpoint(target: { runId: number; checkpointId: number; db?: string }): Promise<boolean> {
    const roots = await this.getChildren();
    for (const exp of roots.filter((r) => r.kind === "experiment" && (!target.db || r.db === target.db))) {
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
    if (this.refreshTimer) clearTimeout(this.refreshTimer);
    this.changed.dispose();
    this.populated.dispose();
  }
}
