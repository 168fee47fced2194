/**
 * The located YAML tree: a config text parsed into plain values that remember, on every node,
 * the file and offsets they came from, so every problem found later (in merged settings too)
 * is reported where the user wrote it.
 *
 * Parsing is bounded, whatever the text (issue 13.5): linear in its size (the yaml library's
 * own duplicate-key check is quadratic, so duplicates are found here with a Map), at most
 * `YAML_LIMITS.depth` levels of nesting (checked while the parser runs, before its recursive
 * composer can spend time or stack on a deeper text) and at most `YAML_LIMITS.aliasExpansions`
 * alias expansions (an alias bomb). Past a limit the text gets one error at the place it was
 * hit, and no values: the caller reports, nothing runs.
 */
import * as YAML from "yaml";
import type { ConfigRole } from "../common/enums";
import type { ConfigDiagnosticCode, ConfigPosition, ConfigRange, ConfigSeverity } from "./diagnostic";
import { readPlainBlock } from "./plain-yaml";

export const YAML_LIMITS = {
  /** A config file larger than this is not parsed (a generated 40,000-trial file is ~2 MB). */
  bytes: 4 * 1024 * 1024,
  /** Nesting levels (mappings and lists); real configs use fewer than ten. */
  depth: 100,
  /** Aliases expanded while reading one file: enough for any hand-written reuse. */
  aliasExpansions: 10_000,
} as const;

export interface SourceFile {
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
export interface LEntry {
  key: string;
  keyStart: number;
  keyEnd: number;
  keyFile: SourceFile;
  value: LValue;
}
/** A mapping's entries, in the order written: a Map, or a merged view (merged-entries.ts). */
export interface LEntries extends Iterable<[string, LEntry]> {
  readonly size: number;
  get(key: string): LEntry | undefined;
  has(key: string): boolean;
  values(): Iterable<LEntry>;
  keys(): Iterable<string>;
}
export interface LMap extends LBase {
  kind: "map";
  entries: LEntries;
  /** Where a new key can be inserted (the first key's offset) and the text that follows it. */
  insertAt?: number;
  insertSuffix?: string;
  /** For a merged mapping: the mappings it was merged from, base first. */
  sources?: LMap[];
}
export interface LSeq extends LBase {
  kind: "seq";
  items: LValue[];
}
export interface LScalar extends LBase {
  kind: "scalar";
  value: unknown;
}
export type LValue = LMap | LSeq | LScalar;

export function sourceFile(role: ConfigRole, path: string, text: string, lineOffset = 0): SourceFile {
  return { role, path, text, lineStarts: lineStartsOf(text), lineOffset };
}

function lineStartsOf(text: string): number[] {
  const starts = [0];
  for (let i = text.indexOf("\n"); i >= 0; i = text.indexOf("\n", i + 1)) starts.push(i + 1);
  return starts;
}

/** 0-based line and character of an offset (clamped to the text). */
export function positionAt(file: SourceFile, offset: number): ConfigPosition {
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

/** The offset of a 0-based position (clamped to the line and the text). */
export function offsetAt(file: SourceFile, position: ConfigPosition): number {
  const line = position.line - file.lineOffset;
  if (line < 0) return 0;
  if (line >= file.lineStarts.length) return file.text.length;
  const start = file.lineStarts[line];
  const next = line + 1 < file.lineStarts.length ? file.lineStarts[line + 1] - 1 : file.text.length;
  return Math.min(start + Math.max(0, position.character), next);
}

/** The end of the line holding `offset` (before the newline and any '\r'). */
function lineEndAt(file: SourceFile, offset: number): number {
  let e = file.text.indexOf("\n", offset);
  if (e < 0) e = file.text.length;
  if (e > offset && file.text.charCodeAt(e - 1) === 13) e--;
  return e;
}

/** A range that never runs past the line it starts on (block nodes span many lines). */
export function clampedRange(file: SourceFile, start: number, end: number): ConfigRange {
  const lineEnd = lineEndAt(file, start);
  let e = Math.min(Math.max(end, start), lineEnd);
  // Trailing spaces are not part of what the user wants underlined.
  while (e > start && /\s/.test(file.text[e - 1])) e--;
  // A zero-width range is hard to see: widen it to the character there, if any on the line.
  if (e === start && start < lineEnd) e = start + 1;
  return { start: positionAt(file, start), end: positionAt(file, e) };
}

export interface Problem {
  start: number;
  end: number;
  severity: ConfigSeverity;
  code: ConfigDiagnosticCode;
  message: string;
}

export interface ParsedText {
  root: LValue | undefined;
  problems: Problem[];
}

/** Thrown inside the token stream when the parser's stack passes the depth limit. */
class TooDeep {
  constructor(readonly offset: number) {}
}

/**
 * The parser's tokens, lexeme by lexeme (as the library's own `parse` does), stopped as soon
 * as its stack (one entry per open collection) passes the depth limit: a text 100,000 levels
 * deep stops at level 101 instead of being read to the end and composed recursively.
 */
function* boundedTokens(text: string): Generator<YAML.CST.Token> {
  const parser = new YAML.Parser();
  for (const lexeme of new YAML.Lexer().lex(text)) {
    yield* parser.next(lexeme);
    if (parser.stack.length > YAML_LIMITS.depth + 1) throw new TooDeep(parser.offset);
  }
  yield* parser.end();
}

class Converter {
  aliasExpansions = 0;
  /** The first place each limit or alias problem was met, as a problem to report once. */
  readonly problems: Problem[] = [];
  private aliasLimitHit = false;
  private depthLimitHit = false;
  /** The start of the outermost alias being expanded, if any. */
  private outerAlias: number | undefined;
  constructor(
    private readonly doc: YAML.Document,
    private readonly file: SourceFile,
  ) {}

  private error(start: number, code: ConfigDiagnosticCode, message: string): void {
    this.problems.push({ start, end: start + 1, severity: "error", code, message });
  }

  convert(node: unknown, depth: number, ancestors: Set<unknown>): LValue {
    const file = this.file;
    const range = (node as { range?: [number, number, number] } | null)?.range;
    const start = range?.[0] ?? 0;
    const end = range?.[1] ?? start;
    const nothing: LScalar = { kind: "scalar", value: null, file, start, end };
    if (YAML.isAlias(node)) {
      const target = node.resolve(this.doc);
      if (!target) {
        this.error(
          start,
          "yaml-syntax",
          `Undefined alias '*${node.source}': no '&${node.source}' anchor before it in this file.`,
        );
        return nothing;
      }
      if (ancestors.has(target)) {
        this.error(start, "yaml-syntax", `The alias '*${node.source}' refers to a node that contains it (a cycle).`);
        return nothing;
      }
      if (++this.aliasExpansions > YAML_LIMITS.aliasExpansions) {
        if (!this.aliasLimitHit) {
          this.aliasLimitHit = true;
          // Reported on the alias the user wrote in this part of the file, not on one deep
          // inside the anchors it expands.
          this.error(
            this.outerAlias ?? start,
            "alias-limit",
            `Too many alias expansions: past this alias, reading the file would expand more than ${YAML_LIMITS.aliasExpansions} aliases (an alias bomb?). Write the values out, or reuse fewer nested aliases.`,
          );
        }
        return nothing;
      }
      const outer = this.outerAlias === undefined;
      if (outer) this.outerAlias = start;
      const resolved = this.convert(target, depth + 1, ancestors);
      if (outer) this.outerAlias = undefined;
      // Diagnostics on an aliased value point at the alias, where the user looks.
      return { ...resolved, start, end } as LValue;
    }
    if (depth > YAML_LIMITS.depth) {
      if (!this.depthLimitHit) {
        this.depthLimitHit = true;
        this.error(
          start,
          "too-deep",
          `Nested deeper than ${YAML_LIMITS.depth} levels here (through aliases): a config never needs that; flatten it.`,
        );
      }
      return nothing;
    }
    if (YAML.isMap(node)) {
      ancestors.add(node);
      const entries = new Map<string, LEntry>();
      const own = new Set<string>();
      for (const pair of node.items) {
        const keyNode = pair.key as YAML.Node | null;
        const keyValue = YAML.isScalar(keyNode) ? keyNode.value : keyNode === null ? null : undefined;
        if (keyValue === undefined || (typeof keyValue === "object" && keyValue !== null)) continue;
        const key = String(keyValue);
        const keyStart = keyNode?.range?.[0] ?? start;
        const keyEnd = keyNode?.range?.[1] ?? keyStart;
        if (key === "<<") {
          this.mergeKey(pair.value, entries, own, depth, ancestors);
          continue;
        }
        if (own.has(key)) {
          this.problems.push({
            start: keyStart,
            end: keyEnd,
            severity: "error",
            code: "yaml-syntax",
            message: `Duplicate key '${key}' in this mapping: keys must be unique.`,
          });
        }
        own.add(key);
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
        map.insertSuffix = node.flow
          ? ", "
          : `\n${" ".repeat(first.range[0] - (file.text.lastIndexOf("\n", first.range[0] - 1) + 1))}`;
      }
      return map;
    }
    if (YAML.isSeq(node)) {
      ancestors.add(node);
      const items = node.items.map((item) =>
        item === null || item === undefined
          ? ({ kind: "scalar", value: null, file, start, end: start } as LScalar)
          : this.convert(item, depth + 1, ancestors),
      );
      ancestors.delete(node);
      return { kind: "seq", items, file, start, end };
    }
    if (YAML.isScalar(node)) return { kind: "scalar", value: node.value, file, start, end };
    return nothing;
  }

  /** `<<: *base` merge keys: entries of the referenced map(s) that the map does not set. */
  private mergeKey(
    value: unknown,
    entries: Map<string, LEntry>,
    own: Set<string>,
    depth: number,
    ancestors: Set<unknown>,
  ): void {
    const sources = YAML.isSeq(value) ? value.items : [value];
    for (const source of sources) {
      const merged = this.convert(source, depth + 1, ancestors);
      if (merged.kind !== "map") continue;
      for (const [k, e] of merged.entries) if (!own.has(k) && !entries.has(k)) entries.set(k, e);
    }
  }
}

function firstLine(message: string): string {
  return message.split("\n")[0].replace(/ at line \d+, column \d+:?$/, "");
}

/**
 * Parses one YAML text into located values; never throws, bounded in time and depth. Plain
 * block YAML (nearly every config) takes the fast reader of plain-yaml.ts, which builds the
 * same tree; anything else, and every text with a problem, the yaml library.
 */
export function parseLocated(file: SourceFile): ParsedText {
  if (file.text.length <= YAML_LIMITS.bytes) {
    const root = readPlainBlock(file, YAML_LIMITS.depth);
    if (root) return { root, problems: [] };
  }
  return parseWithLibrary(file);
}

/** `parseLocated` through the yaml library alone (the reference the fast reader is tested against). */
export function parseWithLibrary(file: SourceFile): ParsedText {
  const problems: Problem[] = [];
  const text = file.text;
  if (text.length > YAML_LIMITS.bytes) {
    const mb = (YAML_LIMITS.bytes / 1024 / 1024).toFixed(0);
    problems.push({
      start: 0,
      end: 0,
      severity: "error",
      code: "file-too-large",
      message: `This file is larger than ${mb} MB: it is not read. Split it (a config needs far less).`,
    });
    return { root: undefined, problems };
  }
  let doc: YAML.Document | undefined;
  try {
    // uniqueKeys off: the library compares every key with every other (quadratic); the
    // converter reports duplicates in linear time instead.
    const composer = new YAML.Composer({ uniqueKeys: false, prettyErrors: false });
    for (const d of composer.compose(boundedTokens(text), true, text.length)) {
      if (!doc) doc = d as YAML.Document;
      else {
        problems.push({
          start: d.range[0],
          end: d.range[0] + 1,
          severity: "error",
          code: "yaml-syntax",
          message: "A second YAML document ('---'): a config file holds one.",
        });
        break;
      }
    }
  } catch (err) {
    if (err instanceof TooDeep) {
      problems.push({
        start: err.offset,
        end: err.offset + 1,
        severity: "error",
        code: "too-deep",
        message: `Nested deeper than ${YAML_LIMITS.depth} levels here: the file is not read. A config never needs that; flatten it.`,
      });
    } else {
      problems.push({
        start: 0,
        end: 0,
        severity: "error",
        code: "yaml-syntax",
        message: `Cannot parse this YAML: ${(err as Error).message}`,
      });
    }
    return { root: undefined, problems };
  }
  if (!doc) return { root: { kind: "scalar", value: null, file, start: 0, end: 0 }, problems };
  for (const error of doc.errors)
    problems.push({
      start: error.pos[0],
      end: error.pos[1],
      severity: "error",
      code: "yaml-syntax",
      message: firstLine(error.message),
    });
  if (doc.errors.length > 0 && doc.contents === null) return { root: undefined, problems };
  const converter = new Converter(doc, file);
  let root: LValue;
  try {
    root =
      doc.contents === null
        ? { kind: "scalar", value: null, file, start: 0, end: 0 }
        : converter.convert(doc.contents, 0, new Set());
  } catch (err) {
    // Defence in depth: nothing above recurses past the depth limit, but a crash here must
    // never take the caller (the language server) down.
    problems.push({
      start: 0,
      end: 0,
      severity: "error",
      code: "yaml-syntax",
      message: `Cannot read this YAML: ${(err as Error).message}`,
    });
    return { root: undefined, problems };
  }
  problems.push(...converter.problems);
  return { root, problems };
}

/** The plain value of a located one (what the runtime reads), for the values a caller needs. */
export function toPlain(value: LValue): unknown {
  if (value.kind === "scalar") return value.value;
  if (value.kind === "seq") return value.items.map(toPlain);
  const out: Record<string, unknown> = {};
  for (const [k, e] of value.entries) out[k] = toPlain(e.value);
  return out;
}
