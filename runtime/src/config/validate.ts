/**
 * Position-aware validation of an experiment config set (env, experiment, base, trials), pure
 * and native-free: used by `expman validate`, by `expman run` before anything starts, and by
 * the language server, so the terminal and the editor report the same problems.
 *
 * API
 * ---
 * `validateConfigSet(files, registry, options?) => ConfigDiagnostic[]`
 *   - `files`: the texts of whichever of the four roles are known (`{ path, text }`); a role
 *     that is absent is neither checked nor reported missing (the caller decides whether a
 *     missing file is an error: the CLI does, the editor does not).
 *   - `registry`: the registry description (built-ins plus user types). The CLI passes the
 *     types registered by loading the `imports:` modules; the language server passes types it
 *     found by scanning source files. A type may carry `metrics: string[]`, custom metric names
 *     the pipeline declares, which `metric` options then accept.
 *   - `options.fileExists(absolutePath)`: enables the check of `imports:` paths.
 *   - `options.maxBytes`: files larger than this are not parsed (one info diagnostic instead).
 *   - `options.roles`: report only diagnostics of these roles (the rest is still read, since
 *     trials are checked against base.yaml).
 *
 * Diagnostics carry a 0-based `range` on the exact node, a stable `code`, and for quick fixes
 * `data.suggestion` (replace the range with it) or `data.missingKey` with `data.insertText`
 * and `data.insertPosition` (insert the text there to add the key).
 *
 * It never runs user code and never touches the file system except through `fileExists`.
 *
 * Trials are checked on their merged settings (base.yaml, then the trial's `settings`, with
 * the framework's deep-merge semantics: dicts by key, lists element-wise by index, scalars and
 * null replace), so an option set in base.yaml and a type set in a trial are seen together.
 * Each problem is reported once, on the node it comes from.
 */
import * as YAML from "yaml";
import type { ConfigRole } from "../common/enums";
import { CONFIG_ROLES, getMetricCategory, getTrackedMetrics, MetricCategory, parseMetric } from "../common/enums";
import { unknownTypeMessage } from "../registry/registry";
import type { ParamSchema, ParamsSchema, RegistryDescription, RegistryKind, TypeDescription } from "../registry/schema";
import { checkParamValue } from "../registry/schema";
import { closestNames } from "../registry/suggest";
import {
  CALLBACK_ENTRY_KEYS,
  ENV_KEYS,
  EXPERIMENT_KEYS,
  PIPELINE_KEYS,
  SETTINGS_KEYS,
  TRACKER_ENTRY_KEYS,
  TRIAL_KEYS,
} from "./sections";

export interface ConfigPosition {
  line: number;
  character: number;
}
export interface ConfigRange {
  start: ConfigPosition;
  end: ConfigPosition;
}
export type ConfigSeverity = "error" | "warning" | "info";

export type ConfigDiagnosticCode =
  | "yaml-syntax"
  | "file-too-large"
  | "not-a-mapping"
  | "trials-not-list"
  | "missing-key"
  | "wrong-value"
  | "unknown-key"
  | "unknown-type"
  | "wrong-kind"
  | "unknown-metric"
  | "untracked-metric"
  | "duplicate-trial"
  | "missing-import"
  | "alias-limit"
  | "changed-meaning";

export interface ConfigDiagnostic {
  role: ConfigRole;
  path: string;
  severity: ConfigSeverity;
  code: ConfigDiagnosticCode;
  message: string;
  range: ConfigRange;
  data?: {
    /** Replace `range` with this text to fix the problem. */
    suggestion?: string;
    /** The required key that is missing. */
    missingKey?: string;
    /** Insert `insertText` at `insertPosition` to add the missing key. */
    insertText?: string;
    insertPosition?: ConfigPosition;
  };
}

export interface ConfigFile {
  path: string;
  text: string;
}
export type ConfigFileSet = Partial<Record<ConfigRole, ConfigFile>>;

export interface ValidateOptions {
  fileExists?: (absolutePath: string) => boolean;
  maxBytes?: number;
  roles?: readonly ConfigRole[];
}

/** A registered type as the validator reads it: the description plus optional custom metrics. */
export type ValidatedType = TypeDescription & { metrics?: readonly string[] };

// ---------------------------------------------------------------------------------------------
// Located values: the YAML tree with, on every node, the file and offsets it came from. Merging
// base.yaml with a trial keeps each node's origin, so a problem in merged settings is reported
// where the user wrote it.

interface SourceFile {
  role: ConfigRole;
  path: string;
  text: string;
  lineStarts: number[];
  /** Line of this text's start in the file (a trial parsed on its own); 0 for whole files. */
  lineOffset: number;
}

interface LBase {
  file: SourceFile;
  start: number;
  end: number;
  /** The key this value sits under, for diagnostics about the whole value. */
  keyStart?: number;
  keyEnd?: number;
}
interface LEntry {
  key: string;
  keyStart: number;
  keyEnd: number;
  keyFile: SourceFile;
  value: LValue;
}
interface LMap extends LBase {
  kind: "map";
  entries: Map<string, LEntry>;
  /** Where a new key can be inserted (the first key's offset) and the text that follows it. */
  insertAt?: number;
  insertSuffix?: string;
  /** For a merged mapping: the mappings it was merged from, base first. */
  sources?: LMap[];
}
interface LSeq extends LBase {
  kind: "seq";
  items: LValue[];
}
interface LScalar extends LBase {
  kind: "scalar";
  value: unknown;
}
type LValue = LMap | LSeq | LScalar;

const MAX_DEPTH = 200;
const MAX_ALIAS_EXPANSIONS = 10_000;

function lineStartsOf(text: string): number[] {
  const starts = [0];
  for (let i = 0; i < text.length; i++) if (text.charCodeAt(i) === 10) starts.push(i + 1);
  return starts;
}

function positionAt(file: SourceFile, offset: number): ConfigPosition {
  const o = Math.max(0, Math.min(offset, file.text.length));
  const starts = file.lineStarts;
  let lo = 0;
  let hi = starts.length - 1;
  while (lo < hi) {
    const mid = (lo + hi + 1) >> 1;
    if (starts[mid] <= o) lo = mid;
    else hi = mid - 1;
  }
  return { line: lo + file.lineOffset, character: o - starts[lo] };
}

/** The end of the line holding `offset` (before the newline and any '\r'). */
function lineEndAt(file: SourceFile, offset: number): number {
  let e = file.text.indexOf("\n", offset);
  if (e < 0) e = file.text.length;
  if (e > offset && file.text.charCodeAt(e - 1) === 13) e--;
  return e;
}

/** A range that never runs past the line it starts on (block nodes span many lines). */
function clampedRange(file: SourceFile, start: number, end: number): ConfigRange {
  const lineEnd = lineEndAt(file, start);
  let e = Math.min(Math.max(end, start), lineEnd);
  // Trailing spaces are not part of what the user wants underlined.
  while (e > start && /\s/.test(file.text[e - 1])) e--;
  // A zero-width range is hard to see: widen it to the character there, if any on the line.
  if (e === start && start < lineEnd) e = start + 1;
  return { start: positionAt(file, start), end: positionAt(file, e) };
}

class Converter {
  aliasExpansions = 0;
  aliasLimitHit = false;
  depthLimitHit = false;
  recursiveAlias: number | undefined;
  constructor(
    private readonly doc: YAML.Document,
    private readonly file: SourceFile,
  ) {}

  convert(node: unknown, depth: number, ancestors: Set<unknown>): LValue {
    const file = this.file;
    const range = (node as { range?: [number, number, number] } | null)?.range;
    const start = range?.[0] ?? 0;
    const end = range?.[1] ?? start;
    if (YAML.isAlias(node)) {
      const target = node.resolve(this.doc);
      if (!target || ancestors.has(target)) {
        if (target) this.recursiveAlias ??= start;
        return { kind: "scalar", value: null, file, start, end };
      }
      if (++this.aliasExpansions > MAX_ALIAS_EXPANSIONS) {
        this.aliasLimitHit = true;
        return { kind: "scalar", value: null, file, start, end };
      }
      const resolved = this.convert(target, depth + 1, ancestors);
      // Diagnostics on an aliased value point at the alias, where the user looks.
      return { ...resolved, start, end } as LValue;
    }
    if (depth > MAX_DEPTH) {
      this.depthLimitHit = true;
      return { kind: "scalar", value: null, file, start, end };
    }
    if (YAML.isMap(node)) {
      ancestors.add(node);
      const entries = new Map<string, LEntry>();
      for (const pair of node.items) {
        const keyNode = pair.key as YAML.Node | null;
        const keyValue = YAML.isScalar(keyNode) ? keyNode.value : keyNode === null ? null : undefined;
        if (keyValue === undefined || (typeof keyValue === "object" && keyValue !== null)) continue;
        const key = String(keyValue);
        if (key === "<<") {
          this.mergeKey(pair.value, entries, depth, ancestors);
          continue;
        }
        const keyStart = keyNode?.range?.[0] ?? start;
        const keyEnd = keyNode?.range?.[1] ?? keyStart;
        const value =
          pair.value === null || pair.value === undefined
            ? ({ kind: "scalar", value: null, file, start: keyEnd, end: keyEnd } as LScalar)
            : this.convert(pair.value, depth + 1, ancestors);
        value.keyStart = keyStart;
        value.keyEnd = keyEnd;
        entries.set(key, { key, keyStart, keyEnd, keyFile: file, value });
      }
      ancestors.delete(node);
      const first = node.items[0]?.key as YAML.Node | undefined;
      const map: LMap = { kind: "map", entries, file, start, end };
      if (first?.range) {
        map.insertAt = first.range[0];
        map.insertSuffix = node.flow ? ", " : `\n${" ".repeat(first.range[0] - (file.text.lastIndexOf("\n", first.range[0] - 1) + 1))}`;
      }
      return map;
    }
    if (YAML.isSeq(node)) {
      ancestors.add(node);
      const items = node.items.map((item) =>
        item === null || item === undefined ? ({ kind: "scalar", value: null, file, start, end: start } as LScalar) : this.convert(item, depth + 1, ancestors),
      );
      ancestors.delete(node);
      return { kind: "seq", items, file, start, end };
    }
    if (YAML.isScalar(node)) {
      return { kind: "scalar", value: node.value, file, start, end };
    }
    return { kind: "scalar", value: null, file, start, end };
  }

  /** `<<: *base` merge keys: entries of the referenced map(s) that the map does not set. */
  private mergeKey(value: unknown, entries: Map<string, LEntry>, depth: number, ancestors: Set<unknown>): void {
    const sources = YAML.isSeq(value) ? value.items : [value];
    for (const source of sources) {
      const merged = this.convert(source, depth + 1, ancestors);
      if (merged.kind !== "map") continue;
      for (const [k, e] of merged.entries) if (!entries.has(k)) entries.set(k, e);
    }
  }
}

interface ParsedFile {
  file: SourceFile;
  root: LValue | undefined;
}

interface Problem {
  start: number;
  end: number;
  severity: ConfigSeverity;
  code: ConfigDiagnosticCode;
  message: string;
}

interface ParsedText {
  root: LValue | undefined;
  problems: Problem[];
}

/** Parses one YAML text into located values; never throws. */
function parseText(file: SourceFile): ParsedText {
  const problems: Problem[] = [];
  const problem = (start: number, end: number, severity: ConfigSeverity, code: ConfigDiagnosticCode, message: string) => problems.push({ start, end, severity, code, message });
  let doc: YAML.Document;
  try {
    doc = YAML.parseDocument(file.text, { prettyErrors: false, uniqueKeys: true });
  } catch (err) {
    problem(0, 0, "error", "yaml-syntax", `Cannot parse this YAML: ${(err as Error).message}`);
    return { root: undefined, problems };
  }
  for (const error of doc.errors) problem(error.pos[0], error.pos[1], "error", "yaml-syntax", firstLine(error.message));
  if (doc.errors.length > 0 && doc.contents === null) return { root: undefined, problems };
  const converter = new Converter(doc, file);
  let root: LValue;
  try {
    root = doc.contents === null ? { kind: "scalar", value: null, file, start: 0, end: 0 } : converter.convert(doc.contents, 0, new Set());
  } catch (err) {
    // A stack overflow on pathological nesting must not take the caller down.
    problem(0, 0, "error", "yaml-syntax", `Cannot read this YAML: ${(err as Error).message}`);
    return { root: undefined, problems };
  }
  if (converter.recursiveAlias !== undefined) {
    problem(converter.recursiveAlias, converter.recursiveAlias + 1, "error", "yaml-syntax", "This alias refers to a node that contains it (a cycle); it is read as null.");
  }
  if (converter.aliasLimitHit) problem(0, 0, "warning", "alias-limit", `More than ${MAX_ALIAS_EXPANSIONS} alias expansions: the rest are read as null and not checked.`);
  if (converter.depthLimitHit) problem(0, 0, "warning", "alias-limit", `Nested deeper than ${MAX_DEPTH} levels: deeper values are not checked.`);
  return { root, problems };
}

function parseFile(role: ConfigRole, input: ConfigFile, options: ValidateOptions, out: Diagnostics): ParsedFile {
  const file: SourceFile = { role, path: input.path, text: input.text, lineStarts: lineStartsOf(input.text), lineOffset: 0 };
  if (options.maxBytes !== undefined && input.text.length > options.maxBytes) {
    out.add(file, 0, 0, "info", "file-too-large", `File not checked: it is larger than ${Math.round(options.maxBytes / 1024)} KB.`);
    return { file, root: undefined };
  }
  if (role === "trials") {
    const chunked = parseTrialsInChunks(file, out);
    if (chunked) return chunked;
  }
  const parsed = parseText(file);
  for (const p of parsed.problems) out.add(file, p.start, p.end, p.severity, p.code, p.message);
  return { file, root: parsed.root };
}

// A long trials.yaml is parsed trial by trial, and each trial's parse is kept (keyed by its
// text), so that after a keystroke only the edited trial is parsed again. Only plain files
// qualify: anchors, aliases, document markers or directives need the whole document.
const CHUNKING_MIN_CHARS = 8 * 1024;
const CHUNK_CACHE_MAX_CHARS = 16 * 1024 * 1024;
const chunkCache = new Map<string, { file: SourceFile; parsed: ParsedText }>();
let chunkCacheChars = 0;

function chunkable(text: string): boolean {
  if (text.length < CHUNKING_MIN_CHARS) return false;
  if (/(?:^|[\s[{,])[&*!][^\s,\]}]/.test(text)) return false; // anchors, aliases, tags
  if (/^(?:---|\.\.\.|%)/m.test(text)) return false;
  // Every line at column 0 must start a list item (or be blank or a comment).
  return !/^[^\s#-]/m.test(text) && !/^-[^\s]/m.test(text);
}

function parseTrialsInChunks(whole: SourceFile, out: Diagnostics): ParsedFile | undefined {
  const text = whole.text;
  if (!chunkable(text)) return undefined;
  const starts: number[] = [];
  for (let line = 0; line < whole.lineStarts.length; line++) {
    const offset = whole.lineStarts[line];
    if (text.charCodeAt(offset) === 45 /* - */) starts.push(line);
  }
  if (starts.length < 2) return undefined;
  starts[0] = 0; // leading comments belong to the first trial
  const items: LValue[] = [];
  const used = new Set<string>();
  const parts: Array<{ file: SourceFile; parsed: ParsedText }> = [];
  for (let i = 0; i < starts.length; i++) {
    const from = whole.lineStarts[starts[i]];
    const to = i + 1 < starts.length ? whole.lineStarts[starts[i + 1]] : text.length;
    const chunkText = text.slice(from, to);
    const key = `${whole.path}\u0000${chunkText}`;
    let entry = used.has(key) ? undefined : chunkCache.get(key);
    if (!entry) {
      const file: SourceFile = { role: whole.role, path: whole.path, text: chunkText, lineStarts: lineStartsOf(chunkText), lineOffset: starts[i] };
      entry = { file, parsed: parseText(file) };
      if (!used.has(key)) {
        chunkCache.set(key, entry);
        chunkCacheChars += chunkText.length;
      }
    } else {
      // Refresh its place in the LRU order.
      chunkCache.delete(key);
      chunkCache.set(key, entry);
    }
    used.add(key);
    entry.file.lineOffset = starts[i];
    const root = entry.parsed.root;
    if (!root || root.kind !== "seq") {
      if (entry.parsed.problems.length === 0) return undefined; // not what it seemed: parse it whole
    } else items.push(...root.items);
    parts.push(entry);
  }
  while (chunkCacheChars > CHUNK_CACHE_MAX_CHARS && chunkCache.size > 0) {
    const [oldest, value] = chunkCache.entries().next().value as [string, { file: SourceFile }];
    chunkCache.delete(oldest);
    chunkCacheChars -= value.file.text.length;
  }
  for (const { file, parsed } of parts) for (const p of parsed.problems) out.add(file, p.start, p.end, p.severity, p.code, p.message);
  return { file: whole, root: { kind: "seq", items, file: whole, start: 0, end: text.length } };
}

function firstLine(message: string): string {
  return message.split("\n")[0].replace(/ at line \d+, column \d+:?$/, "");
}

// ---------------------------------------------------------------------------------------------

class Diagnostics {
  readonly list: ConfigDiagnostic[] = [];
  private readonly seen = new Set<string>();
  constructor(private readonly roles: readonly ConfigRole[] | undefined) {}

  add(
    file: SourceFile,
    start: number,
    end: number,
    severity: ConfigSeverity,
    code: ConfigDiagnosticCode,
    message: string,
    data?: ConfigDiagnostic["data"],
  ): void {
    if (this.roles && !this.roles.includes(file.role)) return;
    const range = clampedRange(file, start, end);
    // One problem per node and code: the base is checked once per trial, with the same findings.
    const id = `${file.role}|${range.start.line}:${range.start.character}|${code}`;
    if (this.seen.has(id)) return;
    this.seen.add(id);
    this.list.push({ role: file.role, path: file.path, severity, code, message, range, ...(data ? { data } : {}) });
  }

  /** On a value: its own text for scalars, its key (or first line) for maps and lists. */
  onValue(value: LValue, severity: ConfigSeverity, code: ConfigDiagnosticCode, message: string, data?: ConfigDiagnostic["data"]): void {
    if (value.kind === "scalar" && value.end > value.start) {
      this.add(value.file, value.start, value.end, severity, code, message, data);
    } else if (value.keyStart !== undefined) {
      this.add(value.file, value.keyStart, value.keyEnd ?? value.keyStart, severity, code, message, data);
    } else {
      this.add(value.file, value.start, value.end, severity, code, message, data);
    }
  }
}

class RegistryIndex {
  private readonly byKind = new Map<RegistryKind, Map<string, ValidatedType>>();
  constructor(registry: RegistryDescription) {
    for (const kind of ["pipeline", "tracker", "callback"] as RegistryKind[]) this.byKind.set(kind, new Map());
    for (const t of registry.types as ValidatedType[]) this.byKind.get(t.kind)?.set(t.name, t);
  }
  get(kind: RegistryKind, name: string): ValidatedType | undefined {
    return this.byKind.get(kind)!.get(name);
  }
  names(kind: RegistryKind): string[] {
    return [...this.byKind.get(kind)!.keys()].sort();
  }
  kindsOf(name: string): RegistryKind[] {
    return (["pipeline", "tracker", "callback"] as RegistryKind[]).filter((k) => this.byKind.get(k)!.has(name));
  }
}

function plain(value: LValue): unknown {
  if (value.kind === "map") return {};
  if (value.kind === "seq") return [];
  return value.value;
}

function placeholderFor(schema: ParamSchema | undefined): string {
  if (!schema) return '""';
  if (schema.default !== undefined && schema.default !== null && typeof schema.default !== "object") return String(schema.default);
  switch (schema.type) {
    case "integer":
      return String(Math.max(schema.minimum ?? 1, 1));
    case "number":
      return String(schema.minimum ?? 0);
    case "boolean":
      return "false";
    case "list":
      return "[]";
    case "object":
      return "{}";
    default:
      return schema.enum?.length ? String(schema.enum[0]) : '""';
  }
}

class Validator {
  readonly registry: RegistryIndex;
  private readonly unknownTypes = new Map<string, { code: ConfigDiagnosticCode; message: string; suggestion?: string }>();
  constructor(
    registry: RegistryDescription,
    readonly out: Diagnostics,
    readonly options: ValidateOptions,
  ) {
    this.registry = new RegistryIndex(registry);
  }

  /** Reports a missing key on a map, with the text and place to add it. */
  missingKey(merged: LMap, key: string, schema: ParamSchema | undefined, message: string, nestedTypeKey = false): void {
    // In merged settings, the key belongs where the entry's `type` was written (base.yaml for a
    // pipeline that trials only tune), else in the last mapping merged (the trial's).
    const sources = merged.sources ?? [merged];
    const map = [...sources].reverse().find((m) => m.entries.has("type")) ?? sources[sources.length - 1];
    const data: ConfigDiagnostic["data"] = { missingKey: key };
    if (map.insertAt !== undefined) {
      const suffix = map.insertSuffix ?? "\n";
      // `pipeline:` is only useful with its `type:` under it.
      const value = !nestedTypeKey ? ` ${placeholderFor(schema)}` : suffix.startsWith("\n") ? `${suffix}  type: ""` : ' {type: ""}';
      data.insertText = `${key}:${value}${suffix}`;
      data.insertPosition = positionAt(map.file, map.insertAt);
    }
    if (map.keyStart !== undefined) this.out.add(map.file, map.keyStart, map.keyEnd ?? map.keyStart, "error", "missing-key", message, data);
    else this.out.add(map.file, map.start, map.end, "error", "missing-key", message, data);
  }

  /**
   * Checks a mapping against a schema: required keys, value types, and unknown keys when the
   * section is owned by the framework (`closed`). `skip` keys are checked by the caller.
   */
  checkMap(map: LMap, schema: ParamsSchema, where: string, closed: boolean, skip: readonly string[] = [], customMetrics: readonly string[] = []): void {
    for (const [key, param] of Object.entries(schema)) {
      if (skip.includes(key)) continue;
      const entry = map.entries.get(key);
      if (!entry) {
        if (param.required) this.missingKey(map, key, param, `Missing required key '${key}' in ${where}.`);
        continue;
      }
      this.checkValue(entry.value, param, `'${key}'`, customMetrics);
    }
    if (!closed) return;
    const known = Object.keys(schema);
    for (const entry of map.entries.values()) {
      if (known.includes(entry.key) || skip.includes(entry.key)) continue;
      const close = closestNames(entry.key, known, 1);
      const hint = close.length ? ` Did you mean '${close[0]}'?` : ` Known keys: ${known.join(", ")}.`;
      this.out.add(entry.keyFile, entry.keyStart, entry.keyEnd, "warning", "unknown-key", `Unknown key '${entry.key}' in ${where}; it is ignored.${hint}`, close.length ? { suggestion: close[0] } : undefined);
    }
  }

  checkValue(value: LValue, param: ParamSchema, label: string, customMetrics: readonly string[]): void {
    const v = plain(value);
    if (v === null || v === undefined) {
      if (param.required) this.out.onValue(value, "error", "wrong-value", `${label} is required and cannot be empty.`);
      return;
    }
    const problem = checkParamValue(param, v);
    if (problem) {
      this.out.onValue(value, "error", "wrong-value", `${label} ${problem}.`);
      return;
    }
    if (param.type === "metric" && typeof v === "string") this.checkMetric(value, v, customMetrics);
  }

  checkMetric(value: LValue, name: string, customMetrics: readonly string[]): void {
    if (customMetrics.includes(name)) return;
    const metric = parseMetric(name);
    if (metric) {
      if (getMetricCategory(metric) !== MetricCategory.TRACKED) {
        this.out.onValue(value, "error", "untracked-metric", `'${name}' is not a tracked metric: trackers and callbacks never receive it. Use one of: ${getTrackedMetrics().join(", ")}.`);
      }
      return;
    }
    const candidates = [...getTrackedMetrics(), ...customMetrics];
    const close = closestNames(name, candidates, 1);
    const hint = close.length ? ` Did you mean '${close[0]}'?` : "";
    this.out.onValue(
      value,
      "error",
      "unknown-metric",
      `Unknown metric '${name}'.${hint} Tracked metrics: ${getTrackedMetrics().join(", ")}${customMetrics.length ? `; declared by the pipeline: ${customMetrics.join(", ")}` : ""}.`,
      close.length ? { suggestion: close[0] } : undefined,
    );
  }

  /** Resolves an entry's `type` against the registry; reports unknown names and wrong kinds. */
  checkType(typeValue: LValue, kind: RegistryKind): ValidatedType | undefined {
    const name = plain(typeValue);
    if (typeof name !== "string" || name === "") {
      this.out.onValue(typeValue, "error", "wrong-value", `'type' must be the name of a registered ${kind}.`);
      return undefined;
    }
    const found = this.registry.get(kind, name);
    if (found) return found;
    // Memoized: base.yaml's type is checked once per trial, against maybe many names.
    const memoKey = `${kind}\u0000${name}`;
    let verdict = this.unknownTypes.get(memoKey);
    if (!verdict) {
      const otherKinds = this.registry.kindsOf(name);
      const known = this.registry.names(kind);
      const close = otherKinds.length ? [] : closestNames(name, known, 1);
      verdict = { code: otherKinds.length ? "wrong-kind" : "unknown-type", message: unknownTypeMessage(kind, name, known, otherKinds), suggestion: close[0] };
      this.unknownTypes.set(memoKey, verdict);
    }
    this.out.onValue(typeValue, "error", verdict.code, verdict.message, verdict.suggestion ? { suggestion: verdict.suggestion } : undefined);
    return undefined;
  }

  /** A tracker or callback entry: `{ type, ...options }`. */
  checkEntry(entry: LValue, kind: "tracker" | "callback", where: string, customMetrics: readonly string[]): void {
    if (entry.kind !== "map") {
      this.out.onValue(entry, "error", "not-a-mapping", `Each ${kind} entry in ${where} must be a mapping with a 'type' (e.g. '- type: ${kind === "tracker" ? "LogTracker" : "EarlyStopping"}').`);
      return;
    }
    const typeEntry = entry.entries.get("type");
    if (!typeEntry) {
      this.missingKey(entry, "type", (kind === "tracker" ? TRACKER_ENTRY_KEYS : CALLBACK_ENTRY_KEYS).type, `Missing required key 'type' in this ${kind} entry of ${where}.`);
      return;
    }
    const type = this.checkType(typeEntry.value, kind);
    if (!type) return;
    this.checkMap(entry, type.params ?? {}, `${kind} ${type.name}`, type.closed === true, ["type"], customMetrics);
    if (type.name === "EarlyStopping") this.checkLegacyMinDelta(entry);
  }

  /**
   * The original has no `min_delta` (it rejects such an entry and requires `min_delta_percent`);
   * here it is an absolute threshold. An old config with `min_delta` alone would silently change
   * meaning, so say so.
   */
  checkLegacyMinDelta(entry: LMap): void {
    const minDelta = entry.entries.get("min_delta");
    if (!minDelta || entry.entries.has("min_delta_percent")) return;
    this.out.add(
      minDelta.keyFile,
      minDelta.keyStart,
      minDelta.keyEnd,
      "warning",
      "changed-meaning",
      "'min_delta' without 'min_delta_percent': the Python original rejects this entry (it requires 'min_delta_percent'); here 'min_delta' is an absolute threshold. If this config came from the original, write 'min_delta_percent: <percent>' instead; to keep the absolute threshold, add 'min_delta_percent: 0'.",
    );
  }

  checkEntryList(list: LValue, kind: "tracker" | "callback", where: string, customMetrics: readonly string[]): void {
    if (list.kind === "scalar" && list.value === null) return;
    if (list.kind !== "seq") {
      this.out.onValue(list, "error", "wrong-value", `${where} must be a list of ${kind} entries.`);
      return;
    }
    for (const item of list.items) this.checkEntry(item, kind, where, customMetrics);
  }

  checkEnv(root: LValue, envPath: string): void {
    if (root.kind !== "map") {
      this.out.onValue(root, "error", "not-a-mapping", "env.yaml must be a mapping (keys such as 'workspace:', 'trackers:', 'imports:').");
      return;
    }
    this.checkMap(root, ENV_KEYS, "env.yaml", true, ["trackers", "imports"]);
    const trackers = root.entries.get("trackers");
    if (trackers) this.checkEntryList(trackers.value, "tracker", "'trackers'", []);
    const imports = root.entries.get("imports");
    if (imports) this.checkImports(imports.value, envPath);
  }

  checkImports(list: LValue, envPath: string): void {
    if (list.kind === "scalar" && list.value === null) return;
    if (list.kind !== "seq") {
      this.out.onValue(list, "error", "wrong-value", "'imports' must be a list of module paths.");
      return;
    }
    for (const item of list.items) {
      const spec = plain(item);
      if (typeof spec !== "string") {
        this.out.onValue(item, "error", "wrong-value", "Each entry of 'imports' must be a module path (a string).");
        continue;
      }
      if (!this.options.fileExists || !isPathSpecifier(spec)) continue;
      const resolved = resolveImport(envPath, spec, this.options.fileExists);
      if (!resolved) {
        this.out.onValue(item, "error", "missing-import", `Cannot find the module '${spec}' (relative to ${dirOf(envPath) || "the config folder"}).`);
      }
    }
  }

  checkExperiment(root: LValue): void {
    if (root.kind !== "map") {
      this.out.onValue(root, "error", "not-a-mapping", "experiment.yaml must be a mapping with 'name' and 'desc'.");
      return;
    }
    this.checkMap(root, EXPERIMENT_KEYS, "experiment.yaml", true);
  }

  /** Merged settings of one trial (or base.yaml alone): seed, pipeline type, params, callbacks. */
  checkSettings(settings: LValue, where: string, onMissingPipeline: (settings: LValue) => void): void {
    if (settings.kind !== "map") {
      if (!(settings.kind === "scalar" && settings.value === null)) {
        this.out.onValue(settings, "error", "not-a-mapping", `${where} must be a mapping (keys such as 'pipeline:').`);
      }
      onMissingPipeline(settings);
      return;
    }
    this.checkMap(settings, SETTINGS_KEYS, where, false, ["pipeline"]);
    const pipeline = settings.entries.get("pipeline");
    if (!pipeline || pipeline.value.kind !== "map") {
      if (pipeline && !(pipeline.value.kind === "scalar" && pipeline.value.value === null)) {
        this.out.onValue(pipeline.value, "error", "not-a-mapping", "'pipeline' must be a mapping with a 'type'.");
        return;
      }
      onMissingPipeline(settings);
      return;
    }
    const p = pipeline.value;
    const typeEntry = p.entries.get("type");
    let type: ValidatedType | undefined;
    if (!typeEntry || (typeEntry.value.kind === "scalar" && typeEntry.value.value === null)) onMissingPipeline(settings);
    else type = this.checkType(typeEntry.value, "pipeline");
    const metrics = type?.metrics ?? [];
    const schema: ParamsSchema = { ...(type?.params ?? {}), ...PIPELINE_KEYS };
    this.checkMap(p, schema, type ? `pipeline ${type.name}` : "'pipeline'", type?.closed === true, ["type", "callbacks"], metrics);
    const callbacks = p.entries.get("callbacks");
    if (callbacks) this.checkEntryList(callbacks.value, "callback", "'pipeline.callbacks'", metrics);
  }

  checkBaseAndTrials(base: ParsedFile | undefined, trials: ParsedFile | undefined): void {
    const baseRoot = base?.root;
    if (baseRoot && baseRoot.kind !== "map" && !(baseRoot.kind === "scalar" && baseRoot.value === null)) {
      this.out.onValue(baseRoot, "error", "not-a-mapping", "base.yaml must be a mapping of settings (with 'pipeline:').");
    }
    const baseMap = baseRoot?.kind === "map" ? baseRoot : undefined;
    const trialRoot = trials?.root;
    const trialList = trialRoot ? this.trialEntries(trialRoot) : undefined;
    if (!trialList || trialList.length === 0) {
      if (baseMap) {
        this.checkSettings(baseMap, "base.yaml", (s) => {
          // Without trials to set it, base.yaml must name the pipeline.
          if (trialList) this.missingPipelineType(s.kind === "map" ? s : baseMap, "base.yaml");
        });
      }
      return;
    }
    for (const trial of trialList) {
      const settingsEntry = trial.entries.get("settings");
      const trialSettings = settingsEntry?.value;
      // As the framework merges: a null or non-mapping trial `settings` keeps base.yaml as is.
      const trialMap = trialSettings?.kind === "map" ? trialSettings : undefined;
      const merged: LValue = baseMap ? mergeLocated(baseMap, trialMap) : trialMap ?? { kind: "scalar", value: null, file: trial.file, start: trial.start, end: trial.start };
      const name = plain(trial.entries.get("name")?.value ?? { kind: "scalar", value: null, file: trial.file, start: 0, end: 0 });
      const label = typeof name === "string" ? `trial '${name}'` : "this trial";
      this.checkSettings(merged, `the settings of ${label}`, () => {
        // Without base.yaml (an editor with a lone trials file) the type may well be set there.
        if (!base) return;
        // Report where the user would add it: the trial's own settings (or the trial itself).
        const target = trialSettings?.kind === "map" ? trialSettings : trial;
        const pipeline = trialSettings?.kind === "map" ? trialSettings.entries.get("pipeline")?.value : undefined;
        if (pipeline?.kind === "map") this.missingPipelineType(pipeline, label, true);
        else this.missingPipelineTypeOnTrial(target, label, trialSettings?.kind === "map");
      });
    }
  }

  private missingPipelineType(map: LMap, where: string, isPipelineMap = false): void {
    if (isPipelineMap || map.entries.get("pipeline")?.value.kind === "map") {
      const pipeline = isPipelineMap ? map : (map.entries.get("pipeline")!.value as LMap);
      this.missingKey(pipeline, "type", PIPELINE_KEYS.type, `Missing 'pipeline.type' for ${where}: name the registered pipeline to run (in base.yaml or the trial's settings).`);
      return;
    }
    this.missingKey(map, "pipeline", SETTINGS_KEYS.pipeline, `Missing 'pipeline' (with its 'type') for ${where}.`, true);
  }

  private missingPipelineTypeOnTrial(target: LMap, label: string, isSettings: boolean): void {
    const message = `Missing 'pipeline.type' for ${label}: neither base.yaml nor the trial's settings name the pipeline to run.`;
    if (isSettings) {
      this.missingKey(target, "pipeline", SETTINGS_KEYS.pipeline, message, true);
    } else {
      const nameEntry = target.entries.get("name");
      if (nameEntry) this.out.onValue(nameEntry.value, "error", "missing-key", message, { missingKey: "pipeline.type" });
      else this.out.add(target.file, target.start, target.end, "error", "missing-key", message, { missingKey: "pipeline.type" });
    }
  }

  /** trials.yaml: a top-level list of trial mappings with unique names. */
  trialEntries(root: LValue): LMap[] | undefined {
    if (root.kind !== "seq") {
      if (root.kind === "scalar" && root.value === null) return [];
      const wrapped = root.kind === "map" ? root.entries.get("trials") : undefined;
      const hint = wrapped ? " Remove the 'trials:' key and un-indent its list." : " Write each trial as '- name: ...'.";
      this.out.onValue(root, "error", "trials-not-list", `trials.yaml must be a top-level list of trials.${hint}`);
      return undefined;
    }
    const trials: LMap[] = [];
    const firstByName = new Map<string, LValue>();
    for (const item of root.items) {
      if (item.kind !== "map") {
        this.out.onValue(item, "error", "not-a-mapping", "Each trial must be a mapping with 'name', 'repeat' and 'settings'.");
        continue;
      }
      trials.push(item);
      this.checkMap(item, TRIAL_KEYS, "this trial", true, ["settings"]);
      const settings = item.entries.get("settings");
      if (!settings) this.missingKey(item, "settings", TRIAL_KEYS.settings, "Missing required key 'settings' in this trial (it may be empty: 'settings: {}').");
      else if (settings.value.kind !== "map" && !(settings.value.kind === "scalar" && settings.value.value === null)) {
        this.out.onValue(settings.value, "error", "not-a-mapping", "'settings' must be a mapping of overrides of base.yaml (or empty).");
      }
      const nameValue = item.entries.get("name")?.value;
      const name = nameValue ? plain(nameValue) : undefined;
      if (nameValue && typeof name === "string") {
        const first = firstByName.get(name);
        if (first) {
          const line = positionAt(first.file, first.start).line + 1;
          this.out.onValue(nameValue, "error", "duplicate-trial", `Duplicate trial name '${name}' (first used on line ${line}): both trials would write to the same folder.`);
        } else firstByName.set(name, nameValue);
      }
    }
    return trials;
  }
}

/** The framework's deep merge (base, then trial) on located values. */
function mergeLocated(base: LValue, trial: LValue | undefined): LValue {
  if (trial === undefined) return base;
  if (base.kind === "map" && trial.kind === "map") {
    const entries = new Map(base.entries);
    for (const [key, entry] of trial.entries) {
      const existing = entries.get(key);
      entries.set(key, existing ? { ...entry, value: mergeLocated(existing.value, entry.value) } : entry);
    }
    return { ...trial, entries, sources: [...(base.sources ?? [base]), ...(trial.sources ?? [trial])] };
  }
  if (base.kind === "seq" && trial.kind === "seq") {
    const n = Math.max(base.items.length, trial.items.length);
    const items: LValue[] = [];
    for (let i = 0; i < n; i++) {
      const b = base.items[i];
      const t = trial.items[i];
      if (b && t) items.push(b.kind === "map" && t.kind === "map" ? mergeLocated(b, t) : t);
      else items.push((t ?? b)!);
    }
    return { ...trial, items };
  }
  return trial;
}

function isPathSpecifier(spec: string): boolean {
  return spec.startsWith(".") || spec.startsWith("/") || /^[A-Za-z]:[\\/]/.test(spec) || /\.[cm]?[jt]sx?$/.test(spec);
}

function dirOf(p: string): string {
  const i = Math.max(p.lastIndexOf("/"), p.lastIndexOf("\\"));
  return i >= 0 ? p.slice(0, i) : "";
}

function joinPath(dir: string, rel: string): string {
  if (rel.startsWith("/") || /^[A-Za-z]:[\\/]/.test(rel)) return normalize(rel);
  return normalize(dir ? `${dir}/${rel}` : rel);
}

function normalize(p: string): string {
  const abs = p.startsWith("/");
  const parts: string[] = [];
  for (const part of p.replace(/\\/g, "/").split("/")) {
    if (part === "" || part === ".") continue;
    if (part === ".." && parts.length && parts[parts.length - 1] !== "..") parts.pop();
    else parts.push(part);
  }
  return (abs ? "/" : "") + parts.join("/");
}

const IMPORT_SUFFIXES = ["", ".ts", ".tsx", ".mts", ".cts", ".js", ".mjs", ".cjs", "/index.ts", "/index.js"];

/** The file an `imports:` entry names (as the loader resolves it), or undefined. */
export function resolveImport(envPath: string, spec: string, fileExists: (p: string) => boolean): string | undefined {
  const base = joinPath(dirOf(envPath), spec);
  for (const suffix of IMPORT_SUFFIXES) {
    const candidate = base + suffix;
    if (fileExists(candidate)) return candidate;
  }
  // `./x.js` written for a TS source, as TypeScript's ESM style does.
  const m = /\.([cm]?)js$/.exec(base);
  if (m && fileExists(base.slice(0, -m[0].length) + `.${m[1]}ts`)) return base.slice(0, -m[0].length) + `.${m[1]}ts`;
  return undefined;
}

/** Validates whichever config files are given; see the module comment for the contract. */
export function validateConfigSet(files: ConfigFileSet, registry: RegistryDescription, options: ValidateOptions = {}): ConfigDiagnostic[] {
  const out = new Diagnostics(options.roles);
  const validator = new Validator(registry, out, options);
  const parsed: Partial<Record<ConfigRole, ParsedFile>> = {};
  for (const role of CONFIG_ROLES) {
    const input = files[role];
    if (input) parsed[role] = parseFile(role, input, options, out);
  }
  const env = parsed.env;
  if (env?.root) validator.checkEnv(env.root, env.file.path);
  const experiment = parsed.experiment;
  if (experiment?.root) validator.checkExperiment(experiment.root);
  const baseParsed = parsed.base?.root ? parsed.base : undefined;
  const trialsParsed = parsed.trials?.root ? parsed.trials : undefined;
  if (baseParsed || trialsParsed) validator.checkBaseAndTrials(baseParsed, trialsParsed);
  const order: Record<ConfigSeverity, number> = { error: 0, warning: 1, info: 2 };
  return out.list.sort(
    (a, b) =>
      CONFIG_ROLES.indexOf(a.role) - CONFIG_ROLES.indexOf(b.role) ||
      a.range.start.line - b.range.start.line ||
      a.range.start.character - b.range.start.character ||
      order[a.severity] - order[b.severity],
  );
}

/** `file:line:col: message` (1-based), as the CLI prints a diagnostic. */
export function formatConfigDiagnostic(d: ConfigDiagnostic): string {
  return `${d.path}:${d.range.start.line + 1}:${d.range.start.character + 1}: ${d.severity}: ${d.message}`;
}
