/**
 * Where the cursor is in a config file: the path of keys from the document's root to the
 * mapping it is in, the keys already written there, and the pipeline type in effect.
 *
 * The structure comes from the located tree that the validator reads (`parseLocated` of
 * runtime/src/config: the fast plain reader, or the yaml library), so completion, hover and
 * diagnostics agree on what a text means. Only the cursor's own line is read by hand
 * (`shapeOf`): while the user types it is usually not YAML yet (`  pa|` under
 * `- type: EarlyStopping`), so it is rewritten to what it is becoming before the parse: a key
 * at the same column (a placeholder key for a word without its colon, or a blank line), or a
 * plain value, and the tree then says where that key sits.
 *
 * Only the top-level block around the cursor is parsed (one trial of a trials.yaml, one
 * top-level key of a mapping): a 5,000-line trials.yaml costs one trial's parse per request,
 * and a mid-edit mistake in another trial changes nothing here.
 */
import {
  parseLocated,
  readPlainBlock,
  sourceFile,
  YAML_LIMITS,
  type LMap,
  type LValue,
  type ParsedText,
} from "@expman/runtime/contracts";

/** A path segment: a mapping key, or LIST_ITEM for "an element of a list". */
export const LIST_ITEM = "[]";

export interface LineShape {
  /** Columns of the `- ` markers on the line. */
  dashes: number[];
  /** Column where the content (after indentation and dashes) starts. */
  contentCol: number;
  /** The key written on the line (`key: value`), with its columns. */
  key?: string;
  keyStart?: number;
  keyEnd?: number;
  /** The value text after `key:` (or the whole content when there is no key), without comment. */
  value: string;
  valueStart: number;
  valueEnd: number;
  blank: boolean;
}

/** The shape of one line, read by hand: the cursor's line is usually not YAML yet. */
export function shapeOf(line: string): LineShape {
  const m = /^(\s*)((?:-(?:\s+|$))*)/.exec(line)!;
  const dashes: number[] = [];
  let col = m[1].length;
  for (const d of m[2].match(/-(?:\s+|$)/g) ?? []) {
    dashes.push(col);
    col += d.length;
  }
  const contentCol = m[0].length;
  const content = line.slice(contentCol);
  const blank = content.trim() === "" || content.trimStart().startsWith("#");
  const km = /^((?:"[^"]*"|'[^']*'|[^\s:#'"{[][^:#]*?))\s*:(?=\s|$)/.exec(content);
  if (km && !blank) {
    const rawKey = km[1];
    const key = rawKey.replace(/^["']|["']$/g, "");
    let valueStart = contentCol + km[0].length;
    while (valueStart < line.length && /\s/.test(line[valueStart])) valueStart++;
    const valueEnd = valueEndOf(line, valueStart);
    return {
      dashes,
      contentCol,
      key,
      keyStart: contentCol,
      keyEnd: contentCol + rawKey.length,
      value: line.slice(valueStart, valueEnd),
      valueStart,
      valueEnd,
      blank,
    };
  }
  const valueEnd = valueEndOf(line, contentCol);
  return { dashes, contentCol, value: line.slice(contentCol, valueEnd), valueStart: contentCol, valueEnd, blank };
}

function valueEndOf(line: string, start: number): number {
  // `key: # note`: a comment, no value.
  if (line[start] === "#") return start;
  let end = line.length;
  const hash = line.indexOf(" #", start);
  if (hash >= 0) end = hash;
  while (end > start && /\s/.test(line[end - 1])) end--;
  return end;
}

export interface CursorContext {
  /** Keys (and LIST_ITEM) from the document root to the mapping the cursor is in. */
  path: string[];
  /** Completing or hovering a key (true) or the value of `key` (false). */
  inKey: boolean;
  key?: string;
  /** The cursor's line, its shape, and the token under the cursor. */
  line: number;
  shape: LineShape;
  tokenStart: number;
  tokenEnd: number;
  /** Column of keys in the cursor's mapping. */
  keyCol: number;
  /** Keys (with their scalar values as written) already in the cursor's mapping. */
  siblings: Map<string, string>;
  /**
   * Whether the tree placed the cursor. It does not when no reading of the cursor's line fits
   * the lines around it (a key indented deeper than any mapping there can hold): then there is
   * nothing sure to offer, and `path` is empty.
   */
  placed: boolean;
  /**
   * The `pipeline.type` written in the cursor's block: its trial's `settings.pipeline.type`
   * (trials.yaml), or `pipeline.type` (base.yaml), as written.
   */
  pipelineType?: string;
}

/** The key written for a word without its colon, or on a blank line, while the tree is read. */
const CURSOR_KEY = "__expman_cursor__";
/** Values kept as written when the cursor line is rewritten: they decide what the next lines are. */
const STRUCTURAL_VALUE = /^(?:[|>][0-9+-]*|&\S+)?$/;
/**
 * A block this many lines long is parsed only up to this many lines after the cursor: keys
 * further down the cursor's mapping are not listed as siblings (a hand-written mapping is never
 * that long), and a request on a generated 40,000-key file does not parse all of it.
 */
const LINES_AFTER_CURSOR = 2000;
/**
 * A block longer than this (a generated file) is read by the fast plain reader only: the yaml
 * library, which takes any text the plain reader leaves (a duplicate key), needs seconds for a
 * megabyte, and a cursor request must not hold the server that long. Past the plain subset
 * such a block gets no cursor help.
 */
const LIBRARY_MAX_LINES = 4000;

/** The context at (line, character) of `text`; `lines` may be given when already split. */
export function contextAt(text: string | string[], line: number, character: number): CursorContext {
  const lines = typeof text === "string" ? text.split(/\r?\n/) : text;
  const current = lines[line] ?? "";
  const shape = shapeOf(current);
  let inKey: boolean;
  let key: string | undefined;
  let tokenStart: number;
  let tokenEnd: number;
  if (shape.key !== undefined && character > shape.keyEnd!) {
    inKey = false;
    key = shape.key;
    tokenStart = shape.valueStart;
    tokenEnd = Math.max(shape.valueEnd, character);
  } else if (shape.key !== undefined) {
    inKey = true;
    tokenStart = shape.keyStart!;
    tokenEnd = shape.keyEnd!;
  } else if (
    !shape.blank &&
    shape.dashes.length > 0 &&
    shape.contentCol <= character &&
    /^[\w.-]*$/.test(shape.value) === false
  ) {
    // `- ./module.ts`: a list element's value.
    inKey = false;
    tokenStart = shape.valueStart;
    tokenEnd = shape.valueEnd;
  } else {
    inKey = true;
    tokenStart = shape.blank ? character : shape.contentCol;
    tokenEnd = shape.blank ? character : Math.max(shape.valueEnd, character);
  }
  // The column of keys in the cursor's mapping: on a blank line, where the cursor is.
  const keyCol = shape.blank && shape.dashes.length === 0 ? Math.min(character, current.length) : shape.contentCol;
  const context: CursorContext = {
    path: [],
    inKey,
    key,
    line,
    shape,
    tokenStart,
    tokenEnd,
    keyCol,
    siblings: new Map(),
    placed: false,
  };

  const listRoot = isListRoot(lines);
  const topLevel = keyCol === 0 && shape.dashes.length === 0;
  if (topLevel && listRoot) {
    // At the top level of a list (a new trial): no mapping, no keys around.
    if (shape.key !== undefined) context.siblings.set(shape.key, shape.value);
    context.placed = true;
    return context;
  }
  const { from, to } = blockAround(lines, line, listRoot, topLevel);
  const window = lines.slice(from, to);
  let lineStart = 0;
  // Where a mistake of the cursor's line may be reported: blank lines before it too.
  let checkFrom = 0;
  for (let i = from; i < line; i++) {
    if (window[i - from].trim() !== "") checkFrom = lineStart + window[i - from].length + 1;
    lineStart += window[i - from].length + 1;
  }
  const parse = (text: string): ParsedText => {
    const file = sourceFile("base", "", text, from);
    if (window.length <= LIBRARY_MAX_LINES) return parseLocated(file);
    return { root: readPlainBlock(file, YAML_LIMITS.depth), problems: [] };
  };
  // Problems from the cursor's line on, in the block as the user wrote it (read only if needed).
  let problemsBefore: number | undefined;
  const problemsFromLine = (text: string) => parse(text).problems.filter((p) => p.start >= checkFrom).length;
  // The cursor's line as it will read once typed; the first reading the tree can place wins.
  // Last, the block up to the cursor's line only: a key typed in the middle of a list ends
  // the list, and the lines after it no longer fit (its keys below are then not listed).
  const readings = readableLines(current, shape, inKey, keyCol);
  for (const [cut, candidate] of [
    ...readings.map((r) => [false, r] as const),
    ...readings.map((r) => [true, r] as const),
  ]) {
    window[line - from] = candidate.text;
    const parsed = parse((cut ? window.slice(0, line - from + 1) : window).join("\n"));
    const text = parsed.root?.file.text ?? "";
    const lineEnd = lineStart + candidate.text.length;
    if (!parsed.root) continue;
    // A reading that adds a mistake is not what the user is writing: the library would guess
    // past it (a key after a list, at the list's column, becomes a key of the root).
    const after = parsed.problems.filter((p) => p.start >= checkFrom).length;
    if (after > 0) {
      if (cut) continue;
      if (problemsBefore === undefined) {
        const original = [...window];
        original[line - from] = current;
        problemsBefore = problemsFromLine(original.join("\n"));
      }
      if (after > problemsBefore || parsed.problems.some((p) => p.start >= checkFrom && p.start <= lineEnd)) continue;
    }
    const target = lineStart + candidate.col;
    const found = find(parsed.root, target, []);
    if (!found) continue;
    // On the cursor's line, the value the user is typing, not its stand-in.
    const valueText = (v: LValue, keyEnd: number) =>
      v.start >= lineStart && v.start <= lineEnd ? shape.value : writtenValue(text, keyEnd, v);
    if (candidate.newItem) {
      // A word or blank line at the column of a list's dashes: the cursor is in the list.
      context.path = found.path.slice(0, -1);
    } else {
      context.path = found.path;
      for (const entry of found.map?.entries.values() ?? []) {
        if (entry.key === CURSOR_KEY) continue;
        context.siblings.set(entry.key, entry.keyStart === target ? shape.value : valueText(entry.value, entry.keyEnd));
      }
    }
    const pipeline = pipelineTypeNode(parsed.root);
    if (pipeline) context.pipelineType = valueText(pipeline, pipeline.keyEnd ?? pipeline.start);
    context.placed = true;
    return context;
  }
  if (topLevel) {
    // A column-0 key is a key of the root whatever the lines around say: its keys as written.
    const original = [...window];
    original[line - from] = current;
    const root = parse(original.join("\n")).root;
    if (root?.kind === "map")
      for (const e of root.entries.values())
        context.siblings.set(e.key, writtenValue(root.file.text, e.keyEnd, e.value));
    if (shape.key !== undefined) context.siblings.set(shape.key, shape.value);
    context.placed = true;
  }
  return context;
}

/** A value as written on its key's line (`[8, 16]` too); "" for a block below its key. */
function writtenValue(text: string, keyEnd: number, v: LValue): string {
  if (text.slice(keyEnd, v.start).includes("\n")) return "";
  const written = text.slice(v.start, v.end);
  const newline = written.indexOf("\n");
  if (newline < 0) return written;
  return v.kind === "scalar" ? written.slice(0, newline) : "";
}

interface Reading {
  text: string;
  /** The column its key (or list value) starts at. */
  col: number;
  /** Written as a new list item, although the user wrote no dash. */
  newItem?: boolean;
}

/** The ways the cursor's line may read once typed, most likely first. */
function readableLines(current: string, shape: LineShape, inKey: boolean, keyCol: number): Reading[] {
  const prefix = (upTo: number) => {
    const p = current.slice(0, upTo);
    return p.endsWith("-") ? `${p} ` : p;
  };
  if (shape.key !== undefined) {
    const value = STRUCTURAL_VALUE.test(shape.value) ? shape.value : "_";
    return [{ text: `${current.slice(0, shape.keyEnd)}:${value ? ` ${value}` : ""}`, col: shape.keyStart! }];
  }
  if (!inKey) {
    // A list element's value (`- ./module.ts`).
    const p = prefix(shape.contentCol);
    return [{ text: `${p}_`, col: p.length }];
  }
  if (shape.dashes.length > 0) {
    const p = prefix(shape.contentCol);
    return [{ text: `${p}${CURSOR_KEY}:`, col: p.length }];
  }
  const p = " ".repeat(keyCol);
  return [
    { text: `${p}${CURSOR_KEY}:`, col: keyCol },
    { text: `${p}- ${CURSOR_KEY}:`, col: keyCol + 2, newItem: true },
  ];
}

/** Whether the document's first content line starts a list (trials.yaml). */
function isListRoot(lines: string[]): boolean {
  for (const l of lines) {
    const t = l.trimStart();
    if (t === "" || t.startsWith("#")) continue;
    return /^-(?:\s|$)/.test(t);
  }
  return false;
}

/**
 * The top-level block holding `line`: from the line that starts it (a `- ` item at column 0
 * in a list, a key at column 0 in a mapping) to the next one. The whole document when the
 * cursor itself is at the top level of a mapping, or when it holds document markers.
 */
function blockAround(
  lines: string[],
  line: number,
  listRoot: boolean,
  topLevel: boolean,
): { from: number; to: number } {
  const whole = { from: 0, to: lines.length };
  if (topLevel) return whole;
  const starts = (l: string) => (listRoot ? /^-(?:\s|$)/.test(l) : /^[^\s#-]/.test(l) && !/^(?:---|\.\.\.)/.test(l));
  let from = line;
  while (from > 0 && !starts(lines[from])) from--;
  let to = line + 1;
  while (to < lines.length && to - line <= LINES_AFTER_CURSOR && !starts(lines[to])) to++;
  return { from, to };
}

/** The path to the mapping whose key starts at `target`, or to the list item value there. */
function find(node: LValue, target: number, path: string[]): { path: string[]; map?: LMap } | undefined {
  if (node.kind === "map") {
    for (const entry of node.entries.values()) {
      if (entry.keyStart === target) return { path, map: node };
      const v = entry.value;
      if (v.kind !== "scalar" && v.start <= target && target <= v.end) {
        const found = find(v, target, [...path, entry.key]);
        if (found) return found;
      }
    }
  } else if (node.kind === "seq") {
    for (const item of node.items) {
      if (item.kind === "scalar") {
        if (item.start === target) return { path: [...path, LIST_ITEM] };
      } else if (item.start <= target && target <= item.end) {
        const found = find(item, target, [...path, LIST_ITEM]);
        if (found) return found;
      }
    }
  }
  return undefined;
}

/** `settings.pipeline.type` of the block's trial (a list), or `pipeline.type` (a mapping). */
function pipelineTypeNode(root: LValue): LValue | undefined {
  const entry = (v: LValue | undefined, k: string) => (v?.kind === "map" ? v.entries.get(k)?.value : undefined);
  if (root.kind === "seq") return entry(entry(entry(root.items[0], "settings"), "pipeline"), "type");
  return entry(entry(root, "pipeline"), "type");
}
