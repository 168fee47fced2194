/**
 * The Experiment Manager language server: diagnostics, completion, hover, go to definition,
 * quick fixes and trial symbols for experiment config YAML. It reads files and never runs user
 * code, so it is safe in untrusted workspaces. Started by the extension over IPC, or with
 * `--stdio` by tests and other editors.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import * as YAML from "yaml";
import {
  CodeActionKind,
  createConnection,
  DiagnosticSeverity,
  DidChangeConfigurationNotification,
  DidChangeWatchedFilesNotification,
  FileChangeType,
  ProposedFeatures,
  TextDocuments,
  TextDocumentSyncKind,
  type Diagnostic,
  type InitializeResult,
} from "vscode-languageserver/node";
import { TextDocument } from "vscode-languageserver-textdocument";
import { CONFIG_ROLES, resolveImport, validateConfigSet, type ConfigDiagnostic, type ConfigFileSet, type ConfigRole } from "@expman/runtime/contracts";
import { ConfigFileClassifier, type ConfigMember } from "./config-files";
import { quickFixes } from "./features/code-actions";
import { completions } from "./features/completion";
import { definitionAt } from "./features/definition";
import { hoverAt } from "./features/hover";
import { trialSymbols } from "./features/symbols";
import { sectionAt, type Section } from "./sections";
import { isSourceFile, WorkspaceIndex } from "./workspace-index";
import { contextAt, LIST_ITEM, type CursorContext } from "./yaml-context";

/** Files above this size are not parsed (a generated 10 MB YAML would stall the editor). */
const MAX_CONFIG_BYTES = 5 * 1024 * 1024;

const connection = createConnection(ProposedFeatures.all);
const documents = new TextDocuments(TextDocument);
const openByPath = new Map<string, TextDocument>();
const classifier = new ConfigFileClassifier((file) => openByPath.has(file) || fs.existsSync(file));
let index = new WorkspaceIndex([]);
let roots: string[] = [];
let indexMillis = 0;
let canWatch = false;
let canConfigure = false;
let configGlobs: string[] = [];

function log(message: string): void {
  connection.console.log(`[expman] ${message}`);
}

/** Runs a handler; a bug or bad input in one request never takes the server down. */
function safe<T>(what: string, fallback: T, fn: () => T): T {
  try {
    return fn();
  } catch (err) {
    connection.console.error(`[expman] ${what} failed: ${(err as Error)?.stack ?? String(err)}`);
    return fallback;
  }
}

function toPath(uri: string): string | undefined {
  if (!uri.startsWith("file:")) return undefined;
  try {
    return fileURLToPath(uri);
  } catch {
    return undefined;
  }
}

// --- texts of config files: the open buffer if any, else the file on disk -------------------

const diskCache = new Map<string, { mtimeMs: number; size: number; text: string }>();

function textOf(file: string): string | undefined {
  const open = openByPath.get(file);
  if (open) return open.getText();
  try {
    const stat = fs.statSync(file);
    // A huge closed sibling is left out of the set rather than read (and not reported empty).
    if (stat.size > MAX_CONFIG_BYTES) return undefined;
    const cached = diskCache.get(file);
    if (cached && cached.mtimeMs === stat.mtimeMs && cached.size === stat.size) return cached.text;
    const text = fs.readFileSync(file, "utf8");
    diskCache.set(file, { mtimeMs: stat.mtimeMs, size: stat.size, text });
    return text;
  } catch {
    diskCache.delete(file);
    return undefined;
  }
}

function memberFiles(group: string): Partial<Record<ConfigRole, string>> {
  const out: Partial<Record<ConfigRole, string>> = {};
  for (const role of CONFIG_ROLES) {
    const file = classifier.memberPath(group, role, (p) => openByPath.has(p));
    if (file) out[role] = file;
  }
  return out;
}

// --- validation ------------------------------------------------------------------------------

const pendingGroups = new Set<string>();
let flushScheduled = false;
const publishedByGroup = new Map<string, Set<string>>();

function scheduleValidation(group: string): void {
  pendingGroups.add(group);
  if (flushScheduled) return;
  flushScheduled = true;
  // Coalesces bursts (several didChange in one read) into one validation per set.
  setImmediate(() => {
    flushScheduled = false;
    const groups = [...pendingGroups];
    pendingGroups.clear();
    for (const g of groups) safe("validation", undefined, () => validateGroup(g));
  });
}

function revalidateAllOpen(): void {
  const groups = new Set<string>();
  for (const file of openByPath.keys()) {
    const member = classifier.classify(file);
    if (member) groups.add(member.group);
  }
  for (const g of groups) scheduleValidation(g);
}

/** Indexes the `imports:` modules of env.yaml that lie outside the workspace folders. */
function indexImports(envFile: string, envText: string): void {
  let env: unknown;
  try {
    env = YAML.parse(envText.length > 100_000 ? "" : envText);
  } catch {
    return;
  }
  const imports = (env as { imports?: unknown } | null)?.imports;
  if (!Array.isArray(imports)) return;
  for (const spec of imports) {
    if (typeof spec !== "string") continue;
    const resolved = resolveImport(envFile, spec, (p) => fs.existsSync(p) && fs.statSync(p).isFile());
    if (resolved) index.ensureFile(path.resolve(resolved));
  }
}

/** `EXPMAN_LS_TRACE=1` logs how long each validation takes (benchmarks, slow-file reports). */
const TRACE = process.env.EXPMAN_LS_TRACE === "1";

function validateGroup(group: string): void {
  const started = TRACE ? performance.now() : 0;
  const members = memberFiles(group);
  const published = publishedByGroup.get(group) ?? new Set<string>();
  if (!CONFIG_ROLES.some((role) => members[role] && openByPath.has(members[role]!))) {
    // Nothing of this set is open: nobody would see the result (closing the last file).
    for (const file of published) connection.sendDiagnostics({ uri: pathToFileURL(file).toString(), diagnostics: [] });
    publishedByGroup.delete(group);
    return;
  }
  const files: ConfigFileSet = {};
  for (const role of CONFIG_ROLES) {
    const file = members[role];
    if (!file) continue;
    const text = textOf(file);
    if (text !== undefined) files[role] = { path: file, text };
  }
  if (files.env) indexImports(files.env.path, files.env.text);
  const diagnostics = validateConfigSet(files, index.describe(), {
    fileExists: (p) => openByPath.has(p) || (fs.existsSync(p) && fs.statSync(p).isFile()),
    maxBytes: MAX_CONFIG_BYTES,
  });
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
    const open = openByPath.get(file);
    const problems = byPath.get(file) ?? [];
    if (!open && problems.length === 0 && !published.has(file)) continue;
    connection.sendDiagnostics({ uri: open?.uri ?? pathToFileURL(file).toString(), version: open?.version, diagnostics: problems });
    now.add(file);
  }
  // A file that left the set (closed, renamed) keeps no stale problems.
  for (const file of published) if (!now.has(file)) connection.sendDiagnostics({ uri: pathToFileURL(file).toString(), diagnostics: [] });
  publishedByGroup.set(group, now);
  if (TRACE) log(`validated ${group} in ${(performance.now() - started).toFixed(1)} ms (${diagnostics.length} problems)`);
}

function toLspDiagnostic(d: ConfigDiagnostic): Diagnostic {
  return {
    range: d.range,
    severity: d.severity === "error" ? DiagnosticSeverity.Error : d.severity === "warning" ? DiagnosticSeverity.Warning : DiagnosticSeverity.Information,
    code: d.code,
    source: "expman",
    message: d.message,
    data: d.data,
  };
}

// --- cursor features ---------------------------------------------------------------------------

interface Located {
  doc: TextDocument;
  member: ConfigMember;
  lines: string[];
  ctx: CursorContext;
  section: Section;
}

function locate(uri: string, line: number, character: number): Located | undefined {
  const doc = documents.get(uri);
  const file = toPath(uri);
  if (!doc || !file) return undefined;
  const member = classifier.classify(file);
  if (!member) return undefined;
  const text = doc.getText();
  if (text.length > MAX_CONFIG_BYTES) return undefined;
  const lines = text.split(/\r?\n/);
  const ctx = contextAt(lines, line, character);
  const section = sectionAt({
    role: member.role,
    path: ctx.path,
    siblings: ctx.siblings,
    index,
    basePipelineType: member.role === "trials" ? basePipelineType(member.group) : undefined,
    enclosingPipelineType: enclosingPipelineType(member.role, lines, line),
  });
  return { doc, member, lines, ctx, section };
}

const basePipelineCache = { text: "", type: undefined as string | undefined };

function basePipelineType(group: string): string | undefined {
  const file = classifier.memberPath(group, "base", (p) => openByPath.has(p));
  const text = file ? textOf(file) : undefined;
  if (!text || text.length > 1_000_000) return undefined;
  if (text === basePipelineCache.text) return basePipelineCache.type;
  let type: string | undefined;
  try {
    const t = (YAML.parse(text) as { pipeline?: { type?: unknown } } | null)?.pipeline?.type;
    type = typeof t === "string" ? t : undefined;
  } catch {
    type = undefined;
  }
  basePipelineCache.text = text;
  basePipelineCache.type = type;
  return type;
}

/** The `pipeline.type` written in the cursor's trial (trials.yaml) or in base.yaml itself. */
function enclosingPipelineType(role: ConfigRole, lines: string[], line: number): string | undefined {
  if (role !== "trials" && role !== "base") return undefined;
  let from = 0;
  let to = lines.length;
  const want = role === "trials" ? [LIST_ITEM, "settings", "pipeline"] : ["pipeline"];
  if (role === "trials") {
    from = line;
    while (from > 0 && !lines[from].startsWith("-")) from--;
    to = line + 1;
    while (to < lines.length && !lines[to].startsWith("-")) to++;
  } else if (lines.length > 5000) return undefined;
  for (let i = from; i < to; i++) {
    const m = /^(\s*)(?:-\s+)?type\s*:\s*(\S.*)$/.exec(lines[i]);
    if (!m) continue;
    const ctx = contextAt(lines, i, lines[i].indexOf("type"));
    if (ctx.path.length === want.length && ctx.path.every((p, k) => p === want[k])) return m[2].replace(/\s+#.*$/, "").trim();
  }
  return undefined;
}

// --- lifecycle --------------------------------------------------------------------------------

connection.onInitialize((params): InitializeResult => {
  const folders = params.workspaceFolders?.map((f) => toPath(f.uri)).filter((p): p is string => !!p) ?? [];
  const rootPath = params.rootUri ? toPath(params.rootUri) : (params.rootPath ?? undefined);
  roots = folders.length ? folders : rootPath ? [rootPath] : [];
  canWatch = params.capabilities.workspace?.didChangeWatchedFiles?.dynamicRegistration === true;
  canConfigure = params.capabilities.workspace?.configuration === true;
  const init = params.initializationOptions as { configGlobs?: unknown } | undefined;
  if (Array.isArray(init?.configGlobs)) configGlobs = init.configGlobs.filter((g): g is string => typeof g === "string");
  classifier.setGlobs(configGlobs, roots);
  const started = performance.now();
  index = new WorkspaceIndex(roots);
  const count = safe("indexing", 0, () => index.indexAll());
  indexMillis = performance.now() - started;
  log(`indexed ${count} source files in ${indexMillis.toFixed(0)} ms`);
  // Before answering: editors send didOpen for restored files right after `initialized`.
  const warm = performance.now();
  warmUp();
  log(`warmed up in ${(performance.now() - warm).toFixed(0)} ms`);
  return {
    capabilities: {
      textDocumentSync: TextDocumentSyncKind.Incremental,
      completionProvider: { triggerCharacters: [":", " ", "-"], resolveProvider: false },
      hoverProvider: true,
      definitionProvider: true,
      codeActionProvider: { codeActionKinds: [CodeActionKind.QuickFix] },
      documentSymbolProvider: true,
    },
    serverInfo: { name: "expman-language-server", version: "0.1.0" },
  };
});

connection.onInitialized(() => {
  if (canWatch) {
    void connection.client.register(DidChangeWatchedFilesNotification.type, {
      watchers: [{ globPattern: "**/*.{ts,tsx,mts,cts,js,jsx,mjs,cjs,py}" }, { globPattern: "**/*.{yaml,yml}" }],
    });
  } else {
    watchWithNode();
  }
  if (canConfigure) {
    void connection.client.register(DidChangeConfigurationNotification.type, { section: "experimentManager" });
    void readConfiguration();
  }
});

/**
 * Validates a small synthetic config set once at start, so the parser and checks are compiled
 * by the time the user opens a real (maybe large) file: the first diagnostics come sooner.
 */
function warmUp(): void {
  safe("warm-up", undefined, () => {
    const trial = "- name: t{i}\n  repeat: 1\n  settings:\n    seed: {i}\n    pipeline:\n      type: P\n      lr: 0.1\n      callbacks:\n        - type: EarlyStopping\n          metric: val_los\n          patience: 2\n";
    const trials = Array.from({ length: 150 }, (_, i) => trial.replace(/\{i\}/g, String(i))).join("");
    const files: ConfigFileSet = {
      env: { path: "/warm-up/env.yaml", text: "workspace: out\ntrackers:\n  - type: DBTracker\n    name: x.db\n" },
      experiment: { path: "/warm-up/experiment.yaml", text: "name: w\ndesc: w\n" },
      base: { path: "/warm-up/base.yaml", text: "pipeline:\n  type: P\n" },
      trials: { path: "/warm-up/trials.yaml", text: trials },
    };
    for (let i = 0; i < 2; i++) validateConfigSet(files, index.describe());
    const lines = trials.split("\n");
    for (let i = 0; i < 50; i++) contextAt(lines, 9 + i * 11, 10);
  });
}

async function readConfiguration(): Promise<void> {
  try {
    const config = (await connection.workspace.getConfiguration("experimentManager")) as { configGlobs?: unknown } | null;
    if (Array.isArray(config?.configGlobs)) {
      configGlobs = config.configGlobs.filter((g): g is string => typeof g === "string");
      classifier.setGlobs(configGlobs, roots);
      revalidateAllOpen();
    }
  } catch (err) {
    log(`cannot read settings: ${(err as Error).message}`);
  }
}

connection.onDidChangeConfiguration((change) => {
  const settings = (change.settings as { experimentManager?: { configGlobs?: unknown } } | null)?.experimentManager;
  if (Array.isArray(settings?.configGlobs)) {
    configGlobs = settings.configGlobs.filter((g): g is string => typeof g === "string");
    classifier.setGlobs(configGlobs, roots);
    revalidateAllOpen();
  } else if (canConfigure) void readConfiguration();
});

/** Without client-side watchers (other editors), Node's recursive watch keeps the index current. */
function watchWithNode(): void {
  for (const root of roots) {
    try {
      const watcher = fs.watch(root, { recursive: true }, (_event, name) => {
        if (!name) return;
        const file = path.join(root, name.toString());
        if (/[\\/](node_modules|\.git)[\\/]/.test(file)) return;
        fileChanged(file, fs.existsSync(file) ? FileChangeType.Changed : FileChangeType.Deleted);
        scheduleRegistryRevalidation();
      });
      watcher.on("error", () => watcher.close());
    } catch (err) {
      log(`cannot watch ${root}: ${(err as Error).message}`);
    }
  }
}

let registryVersionSeen = -1;
let registryTimer: NodeJS.Timeout | undefined;
function scheduleRegistryRevalidation(): void {
  if (registryTimer) return;
  registryTimer = setTimeout(() => {
    registryTimer = undefined;
    if (index.version !== registryVersionSeen) {
      registryVersionSeen = index.version;
      revalidateAllOpen();
    }
  }, 30);
}

function fileChanged(file: string, type: FileChangeType): void {
  if (isSourceFile(file)) {
    if (type === FileChangeType.Deleted) index.removeFile(file);
    else index.updateFile(file);
  } else if (/\.ya?ml$/i.test(file)) {
    diskCache.delete(file);
    const member = classifier.classify(file);
    if (member) scheduleValidation(member.group);
    else if (type !== FileChangeType.Changed) revalidateAllOpen(); // a set gained or lost a member
  }
}

connection.onDidChangeWatchedFiles((params) => {
  safe("watched files", undefined, () => {
    for (const change of params.changes) {
      const file = toPath(change.uri);
      if (file) fileChanged(file, change.type);
    }
    scheduleRegistryRevalidation();
  });
});

documents.onDidOpen((e) => {
  const file = toPath(e.document.uri);
  if (!file) return;
  openByPath.set(file, e.document);
  const member = classifier.classify(file);
  if (member) scheduleValidation(member.group);
});

documents.onDidChangeContent((e) => {
  const file = toPath(e.document.uri);
  if (!file) return;
  openByPath.set(file, e.document);
  const member = safe("classify", undefined, () => classifier.classify(file));
  if (member) scheduleValidation(member.group);
});

documents.onDidClose((e) => {
  const file = toPath(e.document.uri);
  if (!file) return;
  openByPath.delete(file);
  connection.sendDiagnostics({ uri: e.document.uri, diagnostics: [] });
  const member = safe("classify", undefined, () => classifier.classify(file));
  if (member) scheduleValidation(member.group);
});

connection.onCompletion((params) =>
  safe("completion", [], () => {
    const at = locate(params.textDocument.uri, params.position.line, params.position.character);
    return at ? completions(at.ctx, at.section, index) : [];
  }),
);

connection.onHover((params) =>
  safe("hover", null, () => {
    const at = locate(params.textDocument.uri, params.position.line, params.position.character);
    return at ? hoverAt(at.ctx, params.position.character, at.section, index) : null;
  }),
);

connection.onDefinition((params) =>
  safe("definition", null, () => {
    const at = locate(params.textDocument.uri, params.position.line, params.position.character);
    return at ? definitionAt(at.ctx, params.position.character, at.section, index) : null;
  }),
);

connection.onCodeAction((params) => safe("code actions", [], () => quickFixes(params.textDocument.uri, params.context.diagnostics)));

connection.onDocumentSymbol((params) =>
  safe("symbols", [], () => {
    const doc = documents.get(params.textDocument.uri);
    const file = toPath(params.textDocument.uri);
    if (!doc || !file || doc.getText().length > MAX_CONFIG_BYTES) return [];
    return classifier.classify(file)?.role === "trials" ? trialSymbols(doc) : [];
  }),
);

/** The registry the server sees (built-ins and scanned workspace types), for the extension. */
connection.onRequest("experimentManager/registry", () => index.describe());
connection.onRequest("experimentManager/indexStats", () => ({ files: index.fileCount, millis: indexMillis }));

process.on("uncaughtException", (err) => connection.console.error(`[expman] uncaught: ${err?.stack ?? String(err)}`));
process.on("unhandledRejection", (err) => connection.console.error(`[expman] unhandled rejection: ${String(err)}`));

documents.listen(connection);
connection.listen();
