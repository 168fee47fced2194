/**
 * The runs table's filter language, parsed into a predicate over rows:
 *
 *   lr < 0.1 && val_acc > 0.9        numbers compare numerically
 *   trial ~ "lr=*"                   ~ (and !~) glob match: * any text, ? one character;
 *                                    without a wildcard it means "contains"; case-insensitive
 *   status == FAILED                 == and != on text ignore case; bare words are text
 *   note ~ "baseline" || tags == best   tags: true when any tag matches
 *   !(status == SUCCESS) , not, and, or, parentheses
 *   baseline                         a lone word or "quoted text": found in the run's name,
 *                                    trial, status, note or tags
 *
 * A missing value (a run without that param) makes a comparison false (`!=` included), like
 * SQL's NULL. Field names are resolved by the caller (`resolve`), so unknown names, mistyped
 * statuses and the like are reported at parse time with their position, not silently matched
 * by nothing. Errors carry the offset so the panel can point at it.
 */

export type CompareOp = "==" | "!=" | "<" | "<=" | ">" | ">=" | "~" | "!~";

export type FilterNode =
  | { kind: "and" | "or"; left: FilterNode; right: FilterNode }
  | { kind: "not"; expr: FilterNode }
  | { kind: "cmp"; field: string; op: CompareOp; value: string | number; at: number }
  | { kind: "text"; text: string };

export class FilterError extends Error {
  constructor(
    message: string,
    /** Offset in the expression (0-based) the message is about. */
    readonly at: number,
  ) {
    super(message);
  }
}

type Token =
  | { t: "op"; v: CompareOp; at: number }
  | { t: "and" | "or" | "not" | "(" | ")"; at: number; v: string }
  | { t: "word"; v: string; at: number }
  | { t: "string"; v: string; at: number }
  | { t: "number"; v: number; at: number; raw: string }
  | { t: "end"; at: number; v: "" };

const WORD = /[A-Za-z_][\w.\-/:[\]@]*/y;
const NUMBER = /[-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?(?![\w.])/y;

export function tokenize(src: string): Token[] {
  const out: Token[] = [];
  let i = 0;
  while (i < src.length) {
    const c = src[i];
    if (/\s/.test(c)) {
      i++;
      continue;
    }
    const two = src.slice(i, i + 2);
    if (two === "&&" || two === "||") {
      out.push({ t: two === "&&" ? "and" : "or", v: two, at: i });
      i += 2;
      continue;
    }
    if (["==", "!=", "<=", ">=", "!~"].includes(two)) {
      out.push({ t: "op", v: two as CompareOp, at: i });
      i += 2;
      continue;
    }
    if (c === "=") {
      // A single = is what people type for equality.
      out.push({ t: "op", v: "==", at: i });
      i += 1;
      continue;
    }
    if (c === "<" || c === ">" || c === "~") {
      out.push({ t: "op", v: c, at: i });
      i++;
      continue;
    }
    if (c === "!") {
      out.push({ t: "not", v: "!", at: i });
      i++;
      continue;
    }
    if (c === "(" || c === ")") {
      out.push({ t: c, v: c, at: i });
      i++;
      continue;
    }
    if (c === '"' || c === "'") {
      let j = i + 1;
      let text = "";
      while (j < src.length && src[j] !== c) {
        if (src[j] === "\\" && j + 1 < src.length) j++;
        text += src[j++];
      }
      if (j >= src.length) throw new FilterError(`unclosed ${c} string: add a closing ${c}`, i);
      out.push({ t: "string", v: text, at: i });
      i = j + 1;
      continue;
    }
    NUMBER.lastIndex = i;
    const n = NUMBER.exec(src);
    if (n) {
      out.push({ t: "number", v: Number(n[0]), raw: n[0], at: i });
      i += n[0].length;
      continue;
    }
    WORD.lastIndex = i;
    const w = WORD.exec(src);
    if (w) {
      const lower = w[0].toLowerCase();
      if (lower === "and" || lower === "or" || lower === "not") out.push({ t: lower, v: w[0], at: i });
      else out.push({ t: "word", v: w[0], at: i });
      i += w[0].length;
      continue;
    }
    throw new FilterError(`unexpected character ${JSON.stringify(c)}`, i);
  }
  out.push({ t: "end", v: "", at: src.length });
  return out;
}

function describe(tok: Token): string {
  return tok.t === "end" ? "the end of the filter" : JSON.stringify(String(tok.v));
}

/** Parses an expression; an empty one gives null (no filter). Throws FilterError. */
export function parseFilter(src: string): FilterNode | null {
  const toks = tokenize(src);
  if (toks.length === 1) return null;
  let p = 0;
  const peek = () => toks[p];
  const next = () => toks[p++];

  const parseOr = (): FilterNode => {
    let left = parseAnd();
    while (peek().t === "or") {
      next();
      left = { kind: "or", left, right: parseAnd() };
    }
    return left;
  };
  const parseAnd = (): FilterNode => {
    let left = parseNot();
    while (peek().t === "and") {
      next();
      left = { kind: "and", left, right: parseNot() };
    }
    return left;
  };
  const parseNot = (): FilterNode => {
    if (peek().t === "not") {
      next();
      return { kind: "not", expr: parseNot() };
    }
    return parsePrimary();
  };
  const parsePrimary = (): FilterNode => {
    const tok = next();
    if (tok.t === "(") {
      const inner = parseOr();
      const close = next();
      if (close.t !== ")")
        throw new FilterError(`expected ")" to close the "(" at ${tok.at + 1}, found ${describe(close)}`, close.at);
      return inner;
    }
    if (tok.t === "word" || tok.t === "string" || tok.t === "number") {
      const op = peek();
      if (op.t !== "op") {
        if (tok.t === "word" && op.t !== "end" && op.t !== ")" && op.t !== "and" && op.t !== "or")
          throw new FilterError(
            `expected an operator (== != < <= > >= ~ !~) after ${describe(tok)}, found ${describe(op)}`,
            op.at,
          );
        return { kind: "text", text: String(tok.v) };
      }
      if (tok.t !== "word")
        throw new FilterError(`a comparison starts with a column name, not ${describe(tok)}`, tok.at);
      next();
      const value = next();
      if (value.t === "word" || value.t === "string")
        return { kind: "cmp", field: tok.v, op: op.v, value: value.v, at: tok.at };
      if (value.t === "number") {
        // ~ compares text: keep what was typed (lr ~ 1e-3 means the text "1e-3").
        return {
          kind: "cmp",
          field: tok.v,
          op: op.v,
          value: op.v === "~" || op.v === "!~" ? value.raw : value.v,
          at: tok.at,
        };
      }
      throw new FilterError(`expected a value after ${op.v}, found ${describe(value)}`, value.at);
    }
    if (tok.t === "op") throw new FilterError(`expected a column name before ${tok.v}`, tok.at);
    throw new FilterError(`expected a comparison like "lr < 0.1", found ${describe(tok)}`, tok.at);
  };

  const tree = parseOr();
  const rest = peek();
  if (rest.t !== "end") {
    const hint = rest.t === ")" ? `: this ")" has no "("` : `: join conditions with && or ||`;
    throw new FilterError(`unexpected ${describe(rest)}${hint}`, rest.at);
  }
  return tree;
}

/** What a field name means for the rows: how to read it, and which text values are allowed. */
export interface FieldAccess<Row> {
  get(row: Row): unknown;
  /** For fields with a closed set of values (status): the allowed ones, upper case. */
  values?: readonly string[];
  /** Multi-valued (tags): a comparison is true when any value matches. */
  many?: boolean;
}

export interface FilterContext<Row> {
  /** The field of a name, or undefined when no column has that name. */
  resolve(name: string): FieldAccess<Row> | undefined;
  /** Names a user can type, for "did you mean". */
  names(): readonly string[];
  /** The text a lone word is searched in (run name, trial, note, tags, ...). */
  text(row: Row): string;
}

/** Compiles an expression into a predicate; throws FilterError with a position. Empty: null. */
export function compileFilter<Row>(src: string, ctx: FilterContext<Row>): ((row: Row) => boolean) | null {
  const tree = parseFilter(src);
  return tree ? build(tree, ctx) : null;
}

function build<Row>(n: FilterNode, ctx: FilterContext<Row>): (row: Row) => boolean {
  switch (n.kind) {
    case "and": {
      const a = build(n.left, ctx);
      const b = build(n.right, ctx);
      return (r) => a(r) && b(r);
    }
    case "or": {
      const a = build(n.left, ctx);
      const b = build(n.right, ctx);
      return (r) => a(r) || b(r);
    }
    case "not": {
      const a = build(n.expr, ctx);
      return (r) => !a(r);
    }
    case "text": {
      const needle = n.text.toLowerCase();
      return (r) => ctx.text(r).toLowerCase().includes(needle);
    }
    case "cmp":
      return comparison(n, ctx);
  }
}

function comparison<Row>(n: Extract<FilterNode, { kind: "cmp" }>, ctx: FilterContext<Row>): (row: Row) => boolean {
  const field = ctx.resolve(n.field);
  if (!field) {
    const near = closest(n.field, ctx.names());
    throw new FilterError(`no column named "${n.field}"${near ? ` (did you mean "${near}"?)` : ""}`, n.at);
  }
  if (field.values && (n.op === "==" || n.op === "!=") && typeof n.value === "string") {
    const v = n.value.toUpperCase();
    if (!field.values.includes(v))
      throw new FilterError(`${n.field} is one of ${field.values.join(", ")}; "${n.value}" is none of them`, n.at);
  }
  const test = valueTest(n.op, n.value);
  if (field.many)
    return (r) => {
      const v = field.get(r);
      return Array.isArray(v) && v.some(test);
    };
  return (r) => test(field.get(r));
}

function valueTest(op: CompareOp, want: string | number): (v: unknown) => boolean {
  if (op === "~" || op === "!~") {
    const re = globRegExp(String(want));
    const neg = op === "!~";
    return (v) => (v === undefined || v === null ? false : re.test(cellText(v)) !== neg);
  }
  if (typeof want === "number") {
    return (v) => {
      const x =
        typeof v === "number"
          ? v
          : typeof v === "string" && v.trim() !== ""
            ? Number(v)
            : typeof v === "boolean"
              ? Number(v)
              : NaN;
      if (Number.isNaN(x)) return false;
      return numberOp(op, x, want);
    };
  }
  const lower = want.toLowerCase();
  const asNumber = Number(want);
  return (v) => {
    if (v === undefined || v === null) return false;
    if (typeof v === "number" && !Number.isNaN(asNumber) && want.trim() !== "") return numberOp(op, v, asNumber);
    const s = cellText(v).toLowerCase();
    const c = s < lower ? -1 : s > lower ? 1 : 0;
    return numberOp(op, c, 0);
  };
}

function numberOp(op: CompareOp, a: number, b: number): boolean {
  switch (op) {
    case "==":
      return a === b;
    case "!=":
      return a !== b;
    case "<":
      return a < b;
    case "<=":
      return a <= b;
    case ">":
      return a > b;
    case ">=":
      return a >= b;
    default:
      return false;
  }
}

function cellText(v: unknown): string {
  return typeof v === "string" ? v : typeof v === "number" || typeof v === "boolean" ? String(v) : JSON.stringify(v);
}

/** `*` any text, `?` one character, anchored; without a wildcard: contains. Case-insensitive. */
export function globRegExp(pattern: string): RegExp {
  const escaped = pattern.replace(/[.+^${}()|[\]\\]/g, "\\$&");
  if (!/[*?]/.test(pattern)) return new RegExp(escaped, "i");
  return new RegExp(`^${escaped.replace(/\*/g, ".*").replace(/\?/g, ".")}$`, "is");
}

/** The known name nearest to a mistyped one (edit distance at most a third of its length). */
export function closest(name: string, names: readonly string[]): string | undefined {
  let best: string | undefined;
  let bestD = Math.max(1, Math.floor(name.length / 3)) + 1;
  const lower = name.toLowerCase();
  for (const n of names) {
    const d = distance(lower, n.toLowerCase());
    if (d < bestD) {
      bestD = d;
      best = n;
    }
  }
  return best;
}

function distance(a: string, b: string): number {
  if (Math.abs(a.length - b.length) > 3) return 99;
  let prev = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const cur = [i];
    for (let j = 1; j <= b.length; j++)
      cur[j] = Math.min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (a[i - 1] === b[j - 1] ? 0 : 1));
    prev = cur;
  }
  return prev[b.length];
}
