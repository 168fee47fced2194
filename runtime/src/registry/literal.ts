/**
 * A tolerant reader of object literals in source text (JS/TS `{ lr: { type: "number" } }` and
 * Python `{"lr": {"type": "number"}}`), so declared parameter schemas are read without running
 * the user's code. Anything it cannot evaluate (calls, variables, spreads) becomes `undefined`
 * and the rest of the literal is still read.
 */

type Token = { t: "str" | "num" | "id" | "punct"; v: string };

function tokenize(src: string, start: number, limit: number): { tokens: Token[]; end: number } {
  const tokens: Token[] = [];
  let i = start;
  let depth = 0;
  while (i < src.length && tokens.length < limit) {
    const c = src[i];
    if (/\s/.test(c)) {
      i++;
      continue;
    }
    if (c === "/" && src[i + 1] === "/") {
      while (i < src.length && src[i] !== "\n") i++;
      continue;
    }
    if (c === "/" && src[i + 1] === "*") {
      const e = src.indexOf("*/", i + 2);
      i = e < 0 ? src.length : e + 2;
      continue;
    }
    if (c === "#") {
      while (i < src.length && src[i] !== "\n") i++;
      continue;
    }
    if (c === '"' || c === "'" || c === "`") {
      // Python triple-quoted strings.
      const triple = src.startsWith(c.repeat(3), i);
      const q = triple ? c.repeat(3) : c;
      let j = i + q.length;
      let out = "";
      while (j < src.length && !src.startsWith(q, j)) {
        if (src[j] === "\\" && j + 1 < src.length) {
          const n = src[j + 1];
          out += n === "n" ? "\n" : n === "t" ? "\t" : n;
          j += 2;
        } else {
          if (src[j] === "\n" && !triple && c !== "`") break;
          out += src[j++];
        }
      }
      tokens.push({ t: "str", v: out });
      i = j + q.length;
      continue;
    }
    const num = /^-?(?:\d[\d_]*\.?[\d_]*(?:[eE][+-]?\d+)?|\.\d+(?:[eE][+-]?\d+)?)/.exec(src.slice(i, i + 40));
    if (num && (c !== "-" || /[\d.]/.test(src[i + 1] ?? ""))) {
      tokens.push({ t: "num", v: num[0].replace(/_/g, "") });
      i += num[0].length;
      continue;
    }
    const id = /^[A-Za-z_$][\w$]*/.exec(src.slice(i, i + 200));
    if (id) {
      tokens.push({ t: "id", v: id[0] });
      i += id[0].length;
      continue;
    }
    tokens.push({ t: "punct", v: c });
    i++;
    if (c === "{" || c === "[" || c === "(") depth++;
    if (c === "}" || c === "]" || c === ")") {
      depth--;
      if (depth <= 0) break;
    }
  }
  return { tokens, end: i };
}

class Reader {
  pos = 0;
  constructor(private readonly tokens: Token[]) {}
  peek(): Token | undefined {
    return this.tokens[this.pos];
  }
  next(): Token | undefined {
    return this.tokens[this.pos++];
  }
  isPunct(v: string): boolean {
    const t = this.peek();
    return t?.t === "punct" && t.v === v;
  }

  value(): unknown {
    const t = this.peek();
    if (!t) return undefined;
    let v: unknown;
    if (t.t === "punct" && t.v === "{") v = this.object();
    else if (t.t === "punct" && t.v === "[") v = this.array();
    else if (t.t === "str") {
      this.next();
      v = t.v;
    } else if (t.t === "num") {
      this.next();
      v = Number(t.v);
    } else if (t.t === "id") {
      this.next();
      const word = t.v;
      if (word === "true" || word === "True") v = true;
      else if (word === "false" || word === "False") v = false;
      else if (word === "null" || word === "None") v = null;
      else if (word === "Metric" && this.isPunct(".")) {
        // `Metric.VAL_LOSS` is the metric `val_loss`.
        this.next();
        const member = this.next();
        v = member?.t === "id" ? member.v.toLowerCase() : undefined;
      } else v = undefined;
    }
    this.skipRest();
    return v;
  }

  /** Skips what follows a value up to the next `,` `}` `]` at this depth (`as const`, calls...). */
  skipRest(): void {
    let depth = 0;
    for (let t = this.peek(); t; t = this.peek()) {
      if (t.t === "punct") {
        if (depth === 0 && (t.v === "," || t.v === "}" || t.v === "]" || t.v === ")")) return;
        if (t.v === "{" || t.v === "[" || t.v === "(") depth++;
        if (t.v === "}" || t.v === "]" || t.v === ")") depth--;
      }
      this.next();
    }
  }

  object(): Record<string, unknown> {
    const out: Record<string, unknown> = {};
    this.next(); // {
    while (this.peek() && !this.isPunct("}")) {
      const k = this.next()!;
      if ((k.t === "id" || k.t === "str" || k.t === "num") && this.isPunct(":")) {
        this.next();
        const v = this.value();
        if (v !== undefined) out[k.v] = v;
      } else {
        this.skipRest();
      }
      if (this.isPunct(",")) this.next();
    }
    this.next(); // }
    return out;
  }

  array(): unknown[] {
    const out: unknown[] = [];
    this.next(); // [
    while (this.peek() && !this.isPunct("]")) {
      const v = this.value();
      if (v !== undefined) out.push(v);
      if (this.isPunct(",")) this.next();
      else if (!this.isPunct("]")) this.next();
    }
    this.next(); // ]
    return out;
  }
}

/** Reads the literal that starts at `offset` (a `{` or `[`), or undefined. */
export function readLiteral(src: string, offset: number): unknown {
  const { tokens } = tokenize(src, offset, 20_000);
  if (tokens.length === 0) return undefined;
  return new Reader(tokens).value();
}
