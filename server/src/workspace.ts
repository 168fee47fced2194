/**
 * The language server's state and logic, without a connection: the open documents, the config
 * sets they belong to, the index of registered types, validation and the cursor features.
 * `server.ts` only wires LSP handlers to it; tests create it in-process (a fake host that
 * records what would be published) to check behaviour without spawning a server.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import {
  DiagnosticSeverity,
  FileChangeType,
  type CodeAction,
  type CodeLens,
  type CompletionItem,
  type Diagnostic,
  type DocumentSymbol,
  type Hover,
  type Location,
} from "vscode-languageserver";
import type { TextDocument } from "vscode-languageserver-textdocument";
import {
  CONFIG_ROLES,
  deepMergeConfigs,
  isPlainObject,
  readConfigValue,
  settingEntries,
  resolveImport,
  TrialsParseCache,
  validateConfigSet,
  YAML_LIMITS,
  type ConfigDiagnostic,
  type ConfigFileSet,
  type ConfigRole,
  type RegistryDescription,
  isSourceFile,
  WorkspaceIndex,
  type SettingPath,
} from "@expman/runtime/contracts";
import { ConfigFileClassifier, type ConfigMember } from "./config-files";
import type { ValidationOffload } from "./off-thread";
import { quickFixes } from "./features/code-actions";
import { completions } from "./features/completion";
import { definitionAt } from "./features/definition";
import { hoverAt } from "./features/hover";
import { sweepLenses } from "./features/sweep";
import { trialSymbols } from "./features/symbols";
import type { IndexStats } from "./protocol";
import { sectionAt, type Section } from "./sections";
import { WARM_UP_TRIALS, warmUpValidation } from "./warm-up";
import { contextAt, type CursorContext } from "./yaml-context";

/** Files above this size are not parsed (the validator's limit: the CLI refuses them too). */
const MAX_CONFIG_BYTES = YAML_LIMITS.bytes;
/**
 * Config sets larger than this (all their texts together) are validated in the worker thread
 * when there is one: a cold validation of this much plain YAML takes under 100 ms of CPU, so
 * the main thread never holds a request back longer than that behind one (issue 13.5).
 */
export const INLINE_VALIDATION_CHARS = 128 * 1024;
/** `EXPMAN_LS_TRACE=1` logs how long each validation takes (benchmarks, slow-file reports). */
const TRACE = process.env.EXPMAN_LS_TRACE === "1";

/** What the workspace needs from its surroundings (the LSP connection, or a test). */
export interface WorkspaceHost {
  publishDiagnostics(params: { uri: string; version?: number; diagnostics: Diagnostic[] }): void;
  log(message: string): void;
  error(message: string): void;
}

export interface Position {
  line: number;
  character: number;
}

interface Located {
  /** The request's position, clamped to the document (a client may send one past its end). */
  character: number;
  member: ConfigMember;
  ctx: CursorContext;
  section: Section;
  /** Inside a trial's `sweep: params:`, the settings paths it may vary. */
  sweepPaths?: SettingPath[];
}

/** CPU time (user + system) since `since`: what a validation costs, apart from the machine's load. */
function cpuMillis(since: NodeJS.CpuUsage | undefined): number {
  const used = process.cpuUsage(since);
  return (used.user + used.system) / 1000;
}

export function toPath(uri: string): string | undefined {
  if (!uri.startsWith("file:")) return undefined;
  try {
    return fileURLToPath(uri);
  } catch {
    return undefined;
  }
}

function toLspDiagnostic(d: ConfigDiagnostic): Diagnostic {
  return {
    range: d.range,
    severity:
      d.severity === "error"
        ? DiagnosticSeverity.Error
        : d.severity === "warning"
          ? DiagnosticSeverity.Warning
          : DiagnosticSeverity.Information,
    code: d.code,
    source: "expman",
    message: d.message,
    data: d.data,
  };
}

export class ConfigWorkspace {
  private readonly openByPath = new Map<string, TextDocument>();
  private readonly openByUri = new Map<string, TextDocument>();
  private readonly classifier = new ConfigFileClassifier(
    (file) => this.openByPath.has(file) || fs.existsSync(file),
    (file) => this.openByPath.get(file)?.getText(),
  );
  /** Long trials.yaml files are parsed again only where they changed. */
  private readonly trialsCache = new TrialsParseCache();
  private readonly diskCache = new Map<string, { mtimeMs: number; size: number; text: string }>();
  private readonly pendingGroups = new Set<string>();
  private flushScheduled = false;
  private readonly publishedByGroup = new Map<string, Set<string>>();
  private readonly basePipelineCache = { text: "", type: undefined as string | undefined };
  private registryVersionSeen = -1;
  private registryTimer: NodeJS.Timeout | undefined;
  private index = new WorkspaceIndex([]);
  private roots: string[] = [];
  private indexMillis = 0;
  /** Groups with a validation in the worker; aborted once newer texts made its answer stale. */
  private readonly inFlight = new Map<string, AbortController>();

  constructor(
    private readonly host: WorkspaceHost,
    /** The worker thread for large sets (the server's); without one, all validation is inline. */
    private readonly offload?: ValidationOffload,
  ) {}

  /** Runs a handler; a bug or bad input in one request never takes the server down. */
  safe<T>(what: string, fallback: T, fn: () => T): T {
    try {
      return fn();
    } catch (err) {
      this.host.error(`[expman] ${what} failed: ${(err as Error)?.stack ?? String(err)}`);
      return fallback;
    }
  }

  /** Indexes the folders' source files (registered types) and warms the validator up. */
  initialize(roots: string[], configGlobs: string[]): void {
    this.roots = roots;
    this.classifier.setGlobs(configGlobs, roots);
    const started = performance.now();
    this.index = new WorkspaceIndex(roots);
    const count = this.safe("indexing", 0, () => this.index.indexAll());
    this.indexMillis = performance.now() - started;
    this.host.log(`[expman] indexed ${count} source files in ${this.indexMillis.toFixed(0)} ms`);
    // Before answering: editors send didOpen for restored files right after `initialized`.
    const warm = performance.now();
    this.warmUp();
    this.host.log(`[expman] warmed up in ${(performance.now() - warm).toFixed(0)} ms`);
  }

  get folders(): readonly string[] {
    return this.roots;
  }

  setConfigGlobs(globs: string[]): void {
    this.classifier.setGlobs(globs, this.roots);
    this.revalidateAllOpen();
  }

  describe(): RegistryDescription {
    return this.index.describe();
  }

  stats(): IndexStats {
    return { files: this.index.fileCount, millis: this.indexMillis };
  }

  // --- documents ------------------------------------------------------------------------------

  opened(doc: TextDocument): void {
    this.changed(doc);
  }

  changed(doc: TextDocument): void {
    const file = toPath(doc.uri);
    if (!file) return;
    this.openByPath.set(file, doc);
    this.openByUri.set(doc.uri, doc);
    const member = this.safe("classify", undefined, () => this.classifier.classify(file));
    if (member) this.scheduleValidation(member.group);
  }

  closed(uri: string): void {
    const file = toPath(uri);
    this.openByUri.delete(uri);
    if (!file) return;
    this.openByPath.delete(file);
    this.trialsCache.forget(file);
    this.offload?.forget(file);
    this.host.publishDiagnostics({ uri, diagnostics: [] });
    const member = this.safe("classify", undefined, () => this.classifier.classify(file));
    if (member) this.scheduleValidation(member.group);
  }

  /** A file changed on disk (watchers): re-index sources, re-validate the sets of config files. */
  fileChanged(file: string, type: FileChangeType): void {
    if (isSourceFile(file)) {
      if (type === FileChangeType.Deleted) this.index.removeFile(file);
      else this.index.updateFile(file);
    } else if (/\.ya?ml$/i.test(file)) {
      this.diskCache.delete(file);
      const member = this.classifier.classify(file);
      if (member) this.scheduleValidation(member.group);
      else if (type !== FileChangeType.Changed) this.revalidateAllOpen(); // a set gained or lost a member
    }
  }

  /** After source changes settle: re-validate open sets if the registry changed. */
  scheduleRegistryRevalidation(): void {
    if (this.registryTimer) return;
    this.registryTimer = setTimeout(() => {
      this.registryTimer = undefined;
      if (this.index.version !== this.registryVersionSeen) {
        this.registryVersionSeen = this.index.version;
        this.revalidateAllOpen();
      }
    }, 30);
  }

  // --- texts of config files: the open buffer if any, else the file on disk -------------------

  private textOf(file: string): string | undefined {
    const open = this.openByPath.get(file);
    if (open) return open.getText();
    try {
      const stat = fs.statSync(file);
      // A huge closed sibling is left out of the set rather than read (and not reported empty).
      if (stat.size > MAX_CONFIG_BYTES) return undefined;
      const cached = this.diskCache.get(file);
      if (cached && cached.mtimeMs === stat.mtimeMs && cached.size === stat.size) return cached.text;
      const text = fs.readFileSync(file, "utf8");
      this.diskCache.set(file, { mtimeMs: stat.mtimeMs, size: stat.size, text });
      return text;
    } catch {
      this.diskCache.delete(file);
      return undefined;
    }
  }

  private memberFiles(group: string): Partial<Record<ConfigRole, string>> {
    const out: Partial<Record<ConfigRole, string>> = {};
    for (const role of CONFIG_ROLES) {
      const file = this.classifier.memberPath(group, role, (p) => this.openByPath.has(p));
      if (file) out[role] = file;
    }
    return out;
  }

  // --- validation ------------------------------------------------------------------------------

  private scheduleValidation(group: string): void {
    this.pendingGroups.add(group);
    if (this.flushScheduled) return;
    this.flushScheduled = true;
    // Coalesces bursts (several didChange in one read) into one validation per set: a
    // validation never runs for a version that a newer one already replaced.
    setImmediate(() => {
      this.flushScheduled = false;
      const groups = [...this.pendingGroups];
      this.pendingGroups.clear();
      for (const g of groups) this.safe("validation", undefined, () => this.validateGroup(g));
    });
  }

  revalidateAllOpen(): void {
    const groups = new Set<string>();
    for (const file of this.openByPath.keys()) {
      const member = this.classifier.classify(file);
      if (member) groups.add(member.group);
    }
    for (const g of groups) this.scheduleValidation(g);
  }

  /** Indexes the `imports:` modules of env.yaml that lie outside the workspace folders. */
  private indexImports(envFile: string, envText: string): void {
    const env = readConfigValue("env", envFile, envText);
    const imports = (env as { imports?: unknown } | null)?.imports;
    if (!Array.isArray(imports)) return;
    for (const spec of imports) {
      if (typeof spec !== "string") continue;
      const resolved = resolveImport(envFile, spec, (p) => fs.existsSync(p) && fs.statSync(p).isFile());
      if (resolved) this.index.ensureFile(path.resolve(resolved));
    }
  }

  /**
   * Validates one config set and publishes every file's problems: now, on this thread, or (a
   * large set, with a worker) in the worker, while requests go on being answered here. While
   * the worker checks a set, newer texts of it stop that check at its next trial (or drop its
   * answer, if it is done): nothing is published for it and the set is validated again with
   * the texts of that moment, so edits in a burst cost one more validation, not one each, a
   * huge stale one does not run to its end, and old problems never replace newer ones.
   */
  validateGroup(group: string): void {
    const running = this.inFlight.get(group);
    if (running) {
      running.abort();
      return;
    }
    const started = TRACE ? performance.now() : 0;
    const cpu = TRACE ? process.cpuUsage() : undefined;
    const members = this.memberFiles(group);
    const published = this.publishedByGroup.get(group) ?? new Set<string>();
    if (!CONFIG_ROLES.some((role) => members[role] && this.openByPath.has(members[role]!))) {
      // Nothing of this set is open: nobody would see the result (closing the last file).
      for (const file of published)
        this.host.publishDiagnostics({ uri: pathToFileURL(file).toString(), diagnostics: [] });
      this.publishedByGroup.delete(group);
      return;
    }
    const files: ConfigFileSet = {};
    for (const role of CONFIG_ROLES) {
      const file = members[role];
      if (!file) continue;
      const text = this.textOf(file);
      if (text !== undefined) files[role] = { path: file, text };
    }
    if (files.env) this.indexImports(files.env.path, files.env.text);
    const versions = new Map<string, number>();
    for (const role of CONFIG_ROLES) {
      const open = members[role] ? this.openByPath.get(members[role]!) : undefined;
      if (open) versions.set(members[role]!, open.version);
    }
    let chars = 0;
    for (const role of CONFIG_ROLES) chars += files[role]?.text.length ?? 0;
    if (this.offload?.usable && chars > INLINE_VALIDATION_CHARS) {
      const job = new AbortController();
      this.inFlight.set(group, job);
      const onStarted = TRACE
        ? () => this.host.log(`[expman] the worker began validating ${group} (${chars} characters)`)
        : undefined;
      this.offload
        .validate(files, [...this.openByPath.keys()], this.index.describe(), { signal: job.signal, onStarted })
        .then(
          (answer) => {
            const stale = job.signal.aborted || this.versionsChanged(versions);
            this.inFlight.delete(group);
            if (stale || "cancelled" in answer) {
              if (TRACE)
                this.host.log(
                  "cancelled" in answer
                    ? `[expman] stopped a stale validation of ${group} ${answer.cancelled}`
                    : `[expman] dropped a stale validation of ${group}`,
                );
              this.scheduleValidation(group);
              return;
            }
            const { diagnostics } = answer;
            this.safe("publishing", undefined, () => this.publish(group, members, files, versions, diagnostics));
            if (TRACE)
              this.host.log(
                `[expman] validated ${group} in the worker in ${(performance.now() - started).toFixed(1)} ms (${diagnostics.length} problems)`,
              );
          },
          (err: Error) => {
            this.inFlight.delete(group);
            this.host.error(`[expman] validation in the worker failed: ${err.message}`);
            // Again: in a restarted worker, or here once the worker is given up.
            this.scheduleValidation(group);
          },
        );
      return;
    }
    const diagnostics = validateConfigSet(files, this.index.describe(), {
      fileExists: (p) => this.openByPath.has(p) || (fs.existsSync(p) && fs.statSync(p).isFile()),
      trialsCache: this.trialsCache,
    });
    this.publish(group, members, files, versions, diagnostics);
    if (TRACE)
      this.host.log(
        `[expman] validated ${group} in ${(performance.now() - started).toFixed(1)} ms (${cpuMillis(cpu).toFixed(1)} ms of CPU; ${diagnostics.length} problems)`,
      );
  }

  /** Whether an open document of a set changed (or closed) since `versions` were taken. */
  private versionsChanged(versions: Map<string, number>): boolean {
    for (const [file, version] of versions) if (this.openByPath.get(file)?.version !== version) return true;
    return false;
  }

  /** Publishes a set's problems for the document versions they were found in. */
  private publish(
    group: string,
    members: Partial<Record<ConfigRole, string>>,
    files: ConfigFileSet,
    versions: Map<string, number>,
    diagnostics: ConfigDiagnostic[],
  ): void {
    const published = this.publishedByGroup.get(group) ?? new Set<string>();
    const byPath = new Map<string, Diagnostic[]>();
    for (const d of diagnostics) {
      const list = byPath.get(d.path) ?? [];
      list.push(toLspDiagnostic(d));
      byPath.set(d.path, list);
    }
    const now = new Set<string>();
    // Every file of the set gets its problems while one of them is open: a problem found in
    // merged settings may belong to base.yaml while the user edits trials.yaml.
    for (const role of CONFIG_ROLES) {
      const file = members[role];
      if (!file || files[role] === undefined) continue;
      const open = this.openByPath.get(file);
      const problems = byPath.get(file) ?? [];
      if (!open && problems.length === 0 && !published.has(file)) continue;
      this.host.publishDiagnostics({
        uri: open?.uri ?? pathToFileURL(file).toString(),
        version: versions.get(file),
        diagnostics: problems,
      });
      now.add(file);
    }
    // A file that left the set (closed, renamed) keeps no stale problems.
    for (const file of published)
      if (!now.has(file)) this.host.publishDiagnostics({ uri: pathToFileURL(file).toString(), diagnostics: [] });
    this.publishedByGroup.set(group, now);
  }

  /**
   * Validates a small synthetic config set once at start, so the parser and checks are compiled
   * by the time the user opens a real (maybe large) file: the first diagnostics come sooner.
   */
  private warmUp(): void {
    this.safe("warm-up", undefined, () => {
      warmUpValidation(this.index.describe());
      const lines = WARM_UP_TRIALS.split("\n");
      for (let i = 0; i < 50; i++) contextAt(lines, 9 + i * 11, 10);
    });
  }

  // --- cursor features ---------------------------------------------------------------------------

  private locate(uri: string, position: Position): Located | undefined {
    const doc = this.openByUri.get(uri);
    const file = toPath(uri);
    if (!doc || !file) return undefined;
    const member = this.classifier.classify(file);
    if (!member) return undefined;
    const text = doc.getText();
    if (text.length > MAX_CONFIG_BYTES) return undefined;
    const lines = text.split(/\r?\n/);
    const line = position.line;
    if (!(line >= 0 && line < lines.length)) return undefined;
    const character = Math.max(0, Math.min(position.character, lines[line].length));
    const ctx = contextAt(lines, line, character);
    if (!ctx.placed) return undefined;
    const role = member.role;
    const section = sectionAt({
      role,
      path: ctx.path,
      siblings: ctx.siblings,
      index: this.index,
      basePipelineType: role === "trials" ? this.basePipelineType(member.group) : undefined,
      enclosingPipelineType: role === "trials" || role === "base" ? ctx.pipelineType : undefined,
    });
    const sweepPaths = section.name === "sweep-params" ? this.sweepPaths(member.group, file, lines, line) : undefined;
    return { character, member, ctx, section, sweepPaths };
  }

  /**
   * The settings paths a sweep of the trial at `line` may vary: base.yaml merged with that
   * trial's own `settings` (its lines read alone, so the rest of the file may be mid-edit),
   * plus the declared parameters of the pipeline in effect.
   */
  private sweepPaths(group: string, file: string, lines: string[], line: number): SettingPath[] {
    const baseFile = this.classifier.memberPath(group, "base", (p) => this.openByPath.has(p));
    const baseText = baseFile ? this.textOf(baseFile) : undefined;
    const base = baseFile && baseText !== undefined ? readConfigValue("base", baseFile, baseText) : undefined;
    let from = line;
    while (from > 0 && !lines[from].startsWith("-")) from--;
    let to = line + 1;
    while (to < lines.length && !lines[to].startsWith("-")) to++;
    const trial = readConfigValue("trials", file, lines.slice(from, to).join("\n"));
    const entry = Array.isArray(trial) && isPlainObject(trial[0]) ? trial[0] : undefined;
    const merged = deepMergeConfigs(base, entry?.settings);
    const type = isPlainObject(merged.pipeline) ? merged.pipeline.type : undefined;
    const pipeline = typeof type === "string" ? this.index.find("pipeline", type) : undefined;
    return settingEntries(merged, pipeline?.params);
  }

  private basePipelineType(group: string): string | undefined {
    const file = this.classifier.memberPath(group, "base", (p) => this.openByPath.has(p));
    const text = file ? this.textOf(file) : undefined;
    if (!file || !text) return undefined;
    if (text === this.basePipelineCache.text) return this.basePipelineCache.type;
    const t = (readConfigValue("base", file, text) as { pipeline?: { type?: unknown } } | null | undefined)?.pipeline
      ?.type;
    const type = typeof t === "string" ? t : undefined;
    this.basePipelineCache.text = text;
    this.basePipelineCache.type = type;
    return type;
  }

  completion(uri: string, position: Position): CompletionItem[] {
    return this.safe("completion", [], () => {
      const at = this.locate(uri, position);
      return at ? completions(at.ctx, at.section, this.index, at.sweepPaths) : [];
    });
  }

  hover(uri: string, position: Position): Hover | null {
    return this.safe("hover", null, () => {
      const at = this.locate(uri, position);
      return at ? hoverAt(at.ctx, at.character, at.section, this.index) : null;
    });
  }

  definition(uri: string, position: Position): Location | null {
    return this.safe("definition", null, () => {
      const at = this.locate(uri, position);
      return at ? definitionAt(at.ctx, at.character, at.section, this.index) : null;
    });
  }

  codeActions(uri: string, diagnostics: Diagnostic[]): CodeAction[] {
    return this.safe("code actions", [], () => quickFixes(uri, diagnostics));
  }

  /** On trials.yaml: a lens on each `sweep:` with the trials and runs it plans (features/sweep.ts). */
  codeLenses(uri: string): CodeLens[] {
    return this.safe("code lenses", [], () => {
      const doc = this.openByUri.get(uri);
      const file = toPath(uri);
      if (!doc || !file || doc.getText().length > MAX_CONFIG_BYTES) return [];
      return this.classifier.classify(file)?.role === "trials" ? sweepLenses(file, doc.getText()) : [];
    });
  }

  symbols(uri: string): DocumentSymbol[] {
    return this.safe("symbols", [], () => {
      const doc = this.openByUri.get(uri);
      const file = toPath(uri);
      if (!doc || !file || doc.getText().length > MAX_CONFIG_BYTES) return [];
      return this.classifier.classify(file)?.role === "trials" ? trialSymbols(doc) : [];
    });
  }
}
