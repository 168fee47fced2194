/** Finds the tracking databases of the workspace (`experimentManager.databaseGlobs`) and watches them. */
import * as vscode from "vscode";
import type { Ctx } from "./ctx";

export class Databases implements vscode.Disposable {
  private cached: Promise<string[]> | undefined;
  private watchers: vscode.FileSystemWatcher[] = [];
  private readonly changed = new vscode.EventEmitter<{ created: boolean }>();
  /** A database appeared, vanished or was written by a process the extension did not start. */
  readonly onDidChange = this.changed.event;
  /** Databases learnt from runs started here (they may live outside the globs). */
  private readonly extra = new Set<string>();

  constructor(private readonly ctx: Ctx) {
    this.watch();
  }

  private watch(): void {
    for (const w of this.watchers) w.dispose();
    this.watchers = this.ctx.settings.databaseGlobs.map((glob) => {
      const w = vscode.workspace.createFileSystemWatcher(glob);
      w.onDidCreate(() => this.invalidate(true));
      w.onDidDelete(() => this.invalidate(true));
      w.onDidChange(() => this.changed.fire({ created: false }));
      return w;
    });
  }

  settingsChanged(): void {
    this.watch();
    this.invalidate(true);
  }

  add(db: string): void {
    if (!this.extra.has(db)) {
      this.extra.add(db);
      this.invalidate(true);
    }
  }

  invalidate(fire = false): void {
    this.cached = undefined;
    if (fire) this.changed.fire({ created: true });
  }

  list(): Promise<string[]> {
    this.cached ??= this.find();
    return this.cached;
  }

  private async find(): Promise<string[]> {
    const found = new Set<string>(this.extra);
    const globs = this.ctx.settings.databaseGlobs;
    await Promise.all(
      globs.map(async (glob) => {
        const uris = await vscode.workspace.findFiles(glob, "**/node_modules/**", 500);
        for (const u of uris) if (u.scheme === "file") found.add(u.fsPath);
      }),
    );
    return [...found].sort();
  }

  dispose(): void {
    for (const w of this.watchers) w.dispose();
    this.changed.dispose();
  }
}
