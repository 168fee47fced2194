/**
 * A fast reader for the plain block YAML that config files are nearly always written in:
 * indented `key: value` mappings and `- item` lists of one-line scalars, with comments. It
 * builds the same located tree as the full parser (`parseLocated` in located.ts, through the
 * yaml library) with the same offsets, about ten times faster, which is what lets the language
 * server publish the first diagnostics of a 5,000-line trials.yaml on a fresh process within
 * its budget (issue 15.3): the yaml library's lexer, parser and composer spend most of their
 * cold time in generators the JIT has not compiled yet.
 *
 * It is a shortcut, never a second opinion: the moment a text holds anything outside that
 * subset (flow collections, multi-line or block scalars, anchors, aliases, tags, escapes, tabs,
 * CR, duplicate keys, a key that is not a plain word, an error of any kind) it answers
 * `undefined` and the caller parses the text with the library. Scalars are resolved by the
 * yaml library's own core schema (the tags' `test` and `resolve`), so a value means the same
 * on both paths. `plain-yaml.test.ts` compares both trees, offset for offset.
 */
import * as YAML from "yaml";
import type { LEntry, LMap, LScalar, LSeq, LValue, SourceFile } from "./located";

/** The default tags of the core schema, in the order the library tries them on plain scalars. */
interface ScalarTag {
  test: RegExp;
  resolve: (source: string, onError: (message: string) => void, options: object) => unknown;
}
let coreTags: ScalarTag[] | undefined;
function scalarTags(): ScalarTag[] {
  coreTags ??= (new YAML.Schema({}).tags as unknown as Array<Partial<ScalarTag> & { default?: unknown }>).filter(
    (t): t is ScalarTag & { default?: unknown } => t.default === true && t.test instanceof RegExp && !!t.resolve,
  );
  return coreTags;
}

/** The value the library gives a plain scalar (null, a boolean, a number or the string itself). */
function resolvePlain(source: string): unknown {
  for (const tag of scalarTags()) {
    if (!tag.test.test(source)) continue;
    let failed = false;
    const value = tag.resolve(
      source,
      () => {
        failed = true;
      },
      { intAsBigInt: false },
    );
    if (failed) throw new NotPlain();
    return YAML.isScalar(value) ? value.value : value;
  }
  return source;
}

/** Thrown anywhere the text leaves the subset: the caller falls back to the full parser. */
class NotPlain {}

/** Plain keys only (what config keys are): their value is their text on both paths. */
const KEY = /^[A-Za-z_][A-Za-z0-9_.\-/]*$/;
const NOT_A_STRING_KEY = /^(?:[Nn]ull|NULL|[Tt]rue|TRUE|[Ff]alse|FALSE)$/;

interface Line {
  /** Column of the first non-space character. */
  indent: number;
  /** Offset of the first non-space character. */
  start: number;
  /** Offset of the line's end (its newline, or the text's end). */
  end: number;
  /** Offset after the newline. */
  next: number;
  /** A comment-only line stands between the previous content line and this one. */
  commentBefore: boolean;
}

class PlainReader {
  private readonly lines: Line[] = [];
  private i = 0;

  constructor(
    private readonly file: SourceFile,
    private readonly maxDepth: number,
  ) {
    const text = file.text;
    let offset = 0;
    let comment = false;
    while (offset < text.length) {
      let end = text.indexOf("\n", offset);
      if (end < 0) end = text.length;
      let start = offset;
      while (start < end && text.charCodeAt(start) === 32) start++;
      // Blank and comment-only lines carry no value (the library keeps them as comments).
      if (start < end && text.charCodeAt(start) === 35 /* # */) comment = true;
      else if (start < end) {
        this.lines.push({
          indent: start - offset,
          start,
          end,
          next: Math.min(end + 1, text.length),
          commentBefore: comment,
        });
        comment = false;
      }
      offset = end + 1;
    }
    this.trailingComment = comment;
  }

  /** Comment lines after the last content line. */
  private readonly trailingComment: boolean;

  read(): LValue {
    if (this.lines.length === 0) throw new NotPlain();
    const root = this.block(this.lines[0].indent, 0);
    if (this.i < this.lines.length) throw new NotPlain(); // content after the root: an error
    return root;
  }

  private get text(): string {
    return this.file.text;
  }

  private isItem(line: Line): boolean {
    const c = this.text.charCodeAt(line.start + 1);
    return this.text.charCodeAt(line.start) === 45 /* - */ && (line.start + 1 === line.end || c === 32);
  }

  /** The collection whose first line is the current one, at `indent`. */
  private block(indent: number, depth: number): LMap | LSeq {
    if (depth > this.maxDepth) throw new NotPlain();
    const line = this.lines[this.i];
    if (line.indent !== indent) throw new NotPlain();
    return this.isItem(line) ? this.seq(indent, depth) : this.map(indent, line.start, depth);
  }

  /**
   * A block mapping whose keys sit at column `indent`; the first key starts at `from` (after
   * `- ` on an item's line, or the line's first character).
   */
  private map(indent: number, from: number, depth: number): LMap {
    const text = this.text;
    const entries = new Map<string, LEntry>();
    let keyAt = from;
    let end = from;
    for (;;) {
      const line = this.lines[this.i];
      const colon = text.indexOf(":", keyAt);
      if (colon < 0 || colon >= line.end) throw new NotPlain();
      const key = text.slice(keyAt, colon);
      if (!KEY.test(key) || NOT_A_STRING_KEY.test(key) || entries.has(key)) throw new NotPlain();
      const value = this.valueAfter(line, colon + 1, indent, depth, true);
      value.keyStart = keyAt;
      value.keyEnd = colon;
      entries.set(key, { key, keyStart: keyAt, keyEnd: colon, keyFile: this.file, value });
      end = this.endOf(value);
      const next = this.lines[this.i];
      if (!next || next.indent < indent) break;
      if (next.indent > indent || this.isItem(next)) throw new NotPlain();
      keyAt = next.start;
    }
    const lineStart = text.lastIndexOf("\n", from - 1) + 1;
    return {
      kind: "map",
      entries,
      file: this.file,
      start: from,
      end,
      insertAt: from,
      insertSuffix: `\n${" ".repeat(from - lineStart)}`,
    };
  }

  /** A block sequence whose dashes sit at column `indent`. */
  private seq(indent: number, depth: number): LSeq {
    const items: LValue[] = [];
    const start = this.lines[this.i].start;
    let end = start;
    for (;;) {
      const line = this.lines[this.i];
      const item = this.valueAfter(line, line.start + 1, indent, depth, false);
      items.push(item);
      end = this.endOf(item);
      const next = this.lines[this.i];
      if (!next || next.indent < indent) break;
      if (next.indent > indent || !this.isItem(next)) {
        if (next.indent === indent) break; // the mapping around a same-column list goes on
        throw new NotPlain();
      }
    }
    return { kind: "seq", items, file: this.file, start, end };
  }

  /**
   * The value after a key's colon or an item's dash at `at` on `line` (the current line); the
   * line's owner sits at column `indent`. Leaves the current line at the first one after it.
   */
  private valueAfter(line: Line, at: number, indent: number, depth: number, ofKey: boolean): LValue {
    const text = this.text;
    if (at === line.end) {
      // Nothing on the line: a nested block below, or null.
      this.i++;
      const next = this.lines[this.i];
      if (next && (next.indent > indent || (ofKey && next.indent === indent && this.isItem(next))))
        return this.block(next.indent, depth + 1);
      // An empty value followed by comment lines: the library stretches the collections that end
      // here over those comments (runtime/test/plain-yaml.test.ts, the original's test_callback
      // base.yaml); leave that text to it.
      if (next ? next.commentBefore : this.trailingComment) throw new NotPlain();
      return { kind: "scalar", value: null, file: this.file, start: at, end: at };
    }
    if (text.charCodeAt(at) !== 32) throw new NotPlain();
    let s = at + 1;
    while (s < line.end && text.charCodeAt(s) === 32) s++;
    if (s === line.end || text.charCodeAt(s) === 35 /* # */) throw new NotPlain(); // `key:  # note`
    if (!ofKey) {
      // `- key: value`: a mapping whose keys sit at the column of its first key.
      const colon = this.mappingColon(s, line.end);
      if (colon !== undefined) return this.map(s - line.start + line.indent, s, depth + 1);
      if (this.isItemAt(s, line.end)) throw new NotPlain(); // `- - x`
    }
    const scalar = this.scalar(s, line.end);
    this.i++;
    const next = this.lines[this.i];
    // A deeper line after a one-line value would continue it (a multi-line scalar) or be an error.
    if (next && next.indent > indent) throw new NotPlain();
    return scalar;
  }

  private isItemAt(at: number, end: number): boolean {
    return this.text.charCodeAt(at) === 45 && (at + 1 === end || this.text.charCodeAt(at + 1) === 32);
  }

  /** The colon of `key:` or `key: ...` starting at `at`, if the rest of the line is one. */
  private mappingColon(at: number, end: number): number | undefined {
    const text = this.text;
    for (let k = at; k < end; k++) {
      const c = text.charCodeAt(k);
      if (c === 58 /* : */ && (k + 1 === end || text.charCodeAt(k + 1) === 32)) return k;
      if (c === 32 || c === 34 || c === 39) return undefined; // a space or quote before any colon
    }
    return undefined;
  }

  /** A one-line scalar from `s` to the line's `end`: plain, or quoted without escapes. */
  private scalar(s: number, end: number): LScalar {
    const text = this.text;
    const first = text[s];
    if (first === '"' || first === "'") {
      const close = text.indexOf(first, s + 1);
      if (close < 0 || close >= end) throw new NotPlain();
      const inner = text.slice(s + 1, close);
      if (first === '"' && inner.includes("\\")) throw new NotPlain();
      let k = close + 1;
      while (k < end && text.charCodeAt(k) === 32) k++;
      if (k < end && !(text.charCodeAt(k) === 35 && k > close + 1)) throw new NotPlain();
      return this.node(inner, s, close + 1);
    }
    // Indicators that start something else (flow, anchor, alias, tag, block scalar, directive).
    if ("[]{},#&*!|>%@`?:".includes(first)) throw new NotPlain();
    if (first === "-" && !/[0-9.]/.test(text[s + 1] ?? "")) throw new NotPlain();
    let valueEnd = end;
    for (let k = s; k < end; k++) {
      const c = text.charCodeAt(k);
      if (c === 35 /* # */ && text.charCodeAt(k - 1) === 32) {
        valueEnd = k;
        break;
      }
      if (c === 58 /* : */ && (k + 1 === end || text.charCodeAt(k + 1) === 32)) throw new NotPlain();
    }
    while (valueEnd > s && text.charCodeAt(valueEnd - 1) === 32) valueEnd--;
    return this.node(resolvePlain(text.slice(s, valueEnd)), s, valueEnd);
  }

  private node(value: unknown, start: number, end: number): LScalar {
    return { kind: "scalar", value, file: this.file, start, end };
  }

  /** Where a value ends for the collection holding it: a one-line scalar takes its newline. */
  private endOf(value: LValue): number {
    if (value.kind !== "scalar" || value.end === value.start) return value.end;
    const text = this.text;
    const nl = text.indexOf("\n", value.end);
    return nl < 0 ? text.length : nl + 1;
  }
}

/**
 * The located tree of a plain block YAML text (see the module comment), or undefined when the
 * text needs the full parser.
 */
export function readPlainBlock(file: SourceFile, maxDepth: number): LValue | undefined {
  const text = file.text;
  // Outside the subset anywhere: tabs, CR, a byte order mark, document markers, directives.
  if (/[\t\r\uFEFF]/.test(text) || /^(?:---|\.\.\.|%)/m.test(text)) return undefined;
  try {
    return new PlainReader(file, maxDepth).read();
  } catch (err) {
    if (err instanceof NotPlain) return undefined;
    throw err;
  }
}
