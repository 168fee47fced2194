/**
 * The static registration index: the runtime's built-ins plus the types found by scanning a
 * folder's source files (.ts/.js/.py, read, never run; ./source-scanner.ts). The language server
 * and `expman validate` both use it, so they know the same types, Python-registered ones
 * included. The server scans once at start and then file by file as they change (watched-file
 * events), so a keystroke never re-reads the workspace. The description is rebuilt from the
 * per-file records only when one of them changed.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { BUILTIN_TYPES } from "../builtins/catalog";
import type { RegistryDescription, RegistryKind, TypeDescription } from "./schema";
import { scanSource, type ScanResult } from "./source-scanner";

export const SOURCE_EXTENSIONS = [".ts", ".tsx", ".mts", ".cts", ".js", ".jsx", ".mjs", ".cjs", ".py"];
/** Folders that hold no user sources, or compiled copies that would duplicate registrations. */
const SKIPPED_DIRS = new Set([
  "node_modules",
  ".git",
  ".hg",
  ".svn",
  "dist",
  "out",
  "build",
  ".venv",
  "venv",
  "__pycache__",
  ".mypy_cache",
  ".pytest_cache",
  ".tox",
  "site-packages",
  ".vscode-test",
  "coverage",
]);
const MAX_SOURCE_BYTES = 2 * 1024 * 1024;
const MAX_FILES = 50_000;

const BASE_KINDS: Record<string, RegistryKind> = { Pipeline: "pipeline", Tracker: "tracker", Callback: "callback" };

export type IndexedType = TypeDescription & { metrics?: readonly string[]; character?: number; className?: string };

export function isSourceFile(file: string): boolean {
  return SOURCE_EXTENSIONS.includes(path.extname(file).toLowerCase()) && !file.endsWith(".d.ts");
}

export class WorkspaceIndex {
  private readonly files = new Map<string, ScanResult>();
  private description: RegistryDescription | undefined;
  /** Bumped whenever the description may have changed, so callers know to re-validate. */
  version = 0;

  constructor(private readonly roots: string[]) {}

  /** Walks the roots and scans every source file. Returns the number of files read. */
  indexAll(): number {
    let count = 0;
    const stack = [...this.roots];
    while (stack.length > 0 && count < MAX_FILES) {
      const dir = stack.pop()!;
      let entries: fs.Dirent[];
      try {
        entries = fs.readdirSync(dir, { withFileTypes: true });
      } catch {
        continue;
      }
      for (const entry of entries) {
        const full = path.join(dir, entry.name);
        if (entry.isDirectory()) {
          if (!SKIPPED_DIRS.has(entry.name) && !entry.name.startsWith(".")) stack.push(full);
        } else if (entry.isFile() && isSourceFile(entry.name)) {
          this.scanFile(full);
          count++;
        }
      }
    }
    this.changed();
    return count;
  }

  /** (Re)reads one file; a file that is gone or unreadable drops out of the registry. */
  updateFile(file: string): void {
    if (!isSourceFile(file)) return;
    // Watchers report node_modules, build output... too: only what the walk would index (or
    // an `imports:` module already indexed) counts.
    if (!this.files.has(file) && !this.inIndexedFolder(file)) return;
    this.scanFile(file);
    this.changed();
  }

  removeFile(file: string): void {
    if (this.files.delete(file)) this.changed();
  }

  /** Makes sure a module listed under `imports:` (maybe outside the workspace) is indexed. */
  ensureFile(file: string): void {
    if (!this.files.has(file) && isSourceFile(file)) {
      this.scanFile(file);
      this.changed();
    }
  }

  /** Scans a file's text given directly (an open, unsaved editor buffer). */
  updateText(file: string, text: string): void {
    this.files.set(file, scanSource(file, text));
    this.changed();
  }

  private inIndexedFolder(file: string): boolean {
    return this.roots.some((root) => {
      const rel = path.relative(root, file);
      if (rel.startsWith("..") || path.isAbsolute(rel)) return false;
      return rel
        .split(/[\\/]/)
        .slice(0, -1)
        .every((part) => !SKIPPED_DIRS.has(part) && !part.startsWith("."));
    });
  }

  get fileCount(): number {
    return this.files.size;
  }

  private scanFile(file: string): void {
    try {
      const stat = fs.statSync(file);
      if (!stat.isFile() || stat.size > MAX_SOURCE_BYTES) {
        this.files.delete(file);
        return;
      }
      this.files.set(file, scanSource(file, fs.readFileSync(file, "utf8")));
    } catch {
      this.files.delete(file);
    }
  }

  private changed(): void {
    this.description = undefined;
    this.version++;
  }

  describe(): RegistryDescription {
    if (this.description) return this.description;
    // Class name -> base names, across every scanned file, to resolve `extends MyBasePipeline`.
    const bases = new Map<string, string[]>();
    const sortedFiles = [...this.files.keys()].sort();
    for (const file of sortedFiles) {
      for (const cls of this.files.get(file)!.classes) if (!bases.has(cls.name)) bases.set(cls.name, cls.bases);
    }
    const kindOf = (cls: string, seen = new Set<string>()): RegistryKind | undefined => {
      if (BASE_KINDS[cls]) return BASE_KINDS[cls];
      if (seen.has(cls)) return undefined;
      seen.add(cls);
      for (const base of bases.get(cls) ?? []) {
        const k = kindOf(base, seen);
        if (k) return k;
      }
      // A base outside the workspace (a library's `TorchPipeline`): its name says its kind.
      if (!bases.has(cls) && seen.size > 1) {
        const m = /(Pipeline|Tracker|Callback)$/.exec(cls);
        if (m) return BASE_KINDS[m[1]];
      }
      return undefined;
    };
    const types: IndexedType[] = [...BUILTIN_TYPES];
    const taken = new Set(types.map((t) => `${t.kind}:${t.name}`));
    for (const file of sortedFiles) {
      for (const reg of this.files.get(file)!.registrations) {
        const kind = reg.kind ?? kindOf(reg.className);
        if (!kind) continue;
        const key = `${kind}:${reg.name}`;
        if (taken.has(key)) continue;
        taken.add(key);
        types.push({
          name: reg.name,
          kind,
          description: reg.description,
          params: reg.params,
          closed: reg.closed,
          metrics: reg.metrics,
          file,
          line: reg.line,
          character: reg.character,
          className: reg.className,
          builtin: false,
        });
      }
    }
    this.description = { version: 1, types };
    return this.description;
  }

  find(kind: RegistryKind, name: string): IndexedType | undefined {
    return this.describe().types.find((t) => t.kind === kind && t.name === name) as IndexedType | undefined;
  }

  findAnyKind(name: string): IndexedType[] {
    return this.describe().types.filter((t) => t.name === name) as IndexedType[];
  }
}
