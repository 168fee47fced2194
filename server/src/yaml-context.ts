/**
 * Where the cursor is in a block-style YAML file, read from indentation rather than from a
 * parse tree: while the user types, the file is usually invalid YAML, and completion must still
 * know that `  pa|` under `- type: EarlyStopping` is an option key of a callback entry.
 */

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
  /** Keys (with their scalar values) already in the cursor's mapping. */
  siblings: Map<string, string>;
}

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

  const path: string[] = [];
  for (let i = 0; i < shape.dashes.length; i++) path.push(LIST_ITEM);
  let limit = shape.dashes.length > 0 ? shape.dashes[0] : keyCol;
  let limitFromDash = shape.dashes.length > 0;
  const siblings = new Map<string, string>();
  // A line that starts a list item starts a new mapping: keys above belong to other items.
  let inOwnMapping = shape.dashes.length === 0;
  const noteSibling = (s: LineShape) => {
    if (s.key !== undefined && !siblings.has(s.key)) siblings.set(s.key, s.value);
  };
  if (!inKey || shape.key !== undefined) noteSibling(shape);

  for (let i = line - 1; i >= 0 && (limit > 0 || limitFromDash || inOwnMapping); i--) {
    // Inside a top-level list only a column-0 key can still be a parent: skip the rest cheaply
    // (a 5,000-line trials.yaml is scanned on every completion request).
    if (limit === 0 && !inOwnMapping && (lines[i].startsWith(" ") || lines[i].startsWith("-"))) continue;
    const s = shapeOf(lines[i]);
    if (s.blank) continue;
    // Still inside the cursor's mapping: collect its keys.
    if (inOwnMapping && s.contentCol === keyCol && s.key !== undefined) noteSibling(s);
    if (s.key !== undefined && (limitFromDash ? s.contentCol <= limit : s.contentCol < limit)) {
      if (s.value === "" || s.value === "|" || s.value === ">" || s.value.startsWith("&")) {
        path.unshift(s.key);
        limit = s.contentCol;
        limitFromDash = false;
        inOwnMapping = false;
      }
    }
    for (let d = s.dashes.length - 1; d >= 0; d--) {
      if (s.dashes[d] < limit) {
        path.unshift(LIST_ITEM);
        limit = s.dashes[d];
        limitFromDash = true;
        inOwnMapping = false;
      }
    }
    if (s.dashes.length === 0 && s.contentCol < limit && s.key === undefined) inOwnMapping = false;
  }
  // Keys after the cursor in the same mapping count too (no duplicate completions, the `type`).
  for (let i = line + 1; i < lines.length; i++) {
    const s = shapeOf(lines[i]);
    if (s.blank) continue;
    if (s.contentCol < keyCol || (s.dashes.length > 0 && s.dashes[0] < keyCol)) break;
    if (s.contentCol === keyCol && s.key !== undefined) noteSibling(s);
  }
  return { path, inKey, key, line, shape, tokenStart, tokenEnd, keyCol, siblings };
}
