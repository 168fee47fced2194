/**
 * Finds registered types in source files by reading them, never running them: TS/JS classes
 * decorated with `@register("Name")` / `@YAMLSerializable.register("Name")` (or the call form
 * `register("Name")(Cls)`), with their declared `static params`, `static description` and
 * `static metrics`; and Python classes under `@YAMLSerializable.register("Name")`.
 *
 * The kind is not settled here: a class's base may live in another file, so the workspace
 * index resolves it across files from the `extends` edges this scanner records.
 */
import type { ParamSchema, ParamsSchema, ParamType, RegistryKind } from "./schema";
import { readLiteral } from "./literal";

export interface ScannedClass {
  name: string;
  /** Base class names, last dotted component (`em.Pipeline` gives `Pipeline`). */
  bases: string[];
  line: number;
  character: number;
}

export interface ScannedRegistration {
  name: string;
  className: string;
  /** Given by `register(name, { kind })`; otherwise resolved from the class's bases. */
  kind?: RegistryKind;
  params?: ParamsSchema;
  description?: string;
  metrics?: string[];
  closed?: boolean;
  line: number;
  character: number;
}

export interface ScanResult {
  classes: ScannedClass[];
  registrations: ScannedRegistration[];
}

const PARAM_TYPES = new Set<ParamType>(["string", "integer", "number", "boolean", "metric", "list", "object", "any"]);
const KINDS = new Set<string>(["pipeline", "tracker", "callback"]);

export function scanSource(path: string, text: string): ScanResult {
  if (!text.includes("register")) return { classes: scanClassesOnly(path, text), registrations: [] };
  return /\.py$/i.test(path) ? scanPython(text) : scanScript(text);
}

/** Files without registrations still matter for their `extends` edges (base-class chains). */
function scanClassesOnly(path: string, text: string): ScannedClass[] {
  if (!text.includes("class")) return [];
  return /\.py$/i.test(path)
    ? pythonClasses(text, new LineIndex(text))
    : scriptClasses(blankComments(text), new LineIndex(text)).map((c) => c.cls);
}

class LineIndex {
  private readonly starts: number[] = [0];
  constructor(text: string) {
    for (let i = 0; i < text.length; i++) if (text.charCodeAt(i) === 10) this.starts.push(i + 1);
  }
  at(offset: number): { line: number; character: number } {
    let lo = 0;
    let hi = this.starts.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (this.starts[mid] <= offset) lo = mid;
      else hi = mid - 1;
    }
    return { line: lo, character: offset - this.starts[lo] };
  }
}

/** Replaces JS comments by spaces (offsets stay), leaving strings intact. */
function blankComments(text: string): string {
  const out = text.split("");
  let i = 0;
  while (i < text.length) {
    const c = text[i];
    if (c === '"' || c === "'" || c === "`") {
      let j = i + 1;
      while (j < text.length && text[j] !== c) {
        if (text[j] === "\\") j++;
        else if (text[j] === "\n" && c !== "`") break;
        j++;
      }
      i = j + 1;
    } else if (c === "/" && text[i + 1] === "/") {
      while (i < text.length && text[i] !== "\n") out[i++] = " ";
    } else if (c === "/" && text[i + 1] === "*") {
      const e = text.indexOf("*/", i + 2);
      const end = e < 0 ? text.length : e + 2;
      for (; i < end; i++) if (out[i] !== "\n") out[i] = " ";
    } else i++;
  }
  return out.join("");
}

/** The offset just past the `}` matching the `{` at `open`, string-aware. */
function matchBrace(text: string, open: number): number {
  let depth = 0;
  for (let i = open; i < text.length; i++) {
    const c = text[i];
    if (c === '"' || c === "'" || c === "`") {
      for (i++; i < text.length && text[i] !== c; i++) if (text[i] === "\\") i++;
    } else if (c === "{") depth++;
    else if (c === "}" && --depth === 0) return i + 1;
  }
  return text.length;
}

interface ScriptClass {
  cls: ScannedClass;
  start: number;
  bodyStart: number;
  bodyEnd: number;
}

// Bounded repetitions: a minified file full of "class" words must not make this quadratic.
const CLASS_RE =
  /(?:^|[^\w$.])class\s+([A-Za-z_$][\w$]*)\s*(?:<[^{]{0,300}?>\s*)?(?:extends\s+([A-Za-z_$][\w$.]*)(?:\s*<[^{]{0,300}?>)?\s*)?(?:implements\s+[^{]{0,500})?\{/g;

function scriptClasses(code: string, lines: LineIndex): ScriptClass[] {
  const out: ScriptClass[] = [];
  CLASS_RE.lastIndex = 0;
  for (let m = CLASS_RE.exec(code); m; m = CLASS_RE.exec(code)) {
    const nameOffset = m.index + m[0].indexOf(m[1], m[0].indexOf("class") + 5);
    const bodyStart = m.index + m[0].length - 1;
    const pos = lines.at(nameOffset);
    const base = m[2]?.split(".").pop();
    out.push({
      cls: { name: m[1], bases: base ? [base] : [], ...pos },
      start: m.index,
      bodyStart,
      bodyEnd: matchBrace(code, bodyStart),
    });
  }
  return out;
}

/** `register("Name", {...})` arguments at `open` (the `(`): the name and the options literal. */
function registerArgs(code: string, open: number): { name?: string; options?: Record<string, unknown>; end: number } {
  const m = /^\(\s*(["'`])([^"'`]+)\1\s*(,\s*)?/.exec(code.slice(open, open + 300));
  if (!m) return { end: open };
  let i = open + m[0].length;
  let options: Record<string, unknown> | undefined;
  if (m[3] && code[i] === "{") {
    const v = readLiteral(code, i);
    if (v && typeof v === "object") options = v as Record<string, unknown>;
    i = matchBrace(code, i);
  }
  const close = code.indexOf(")", i);
  return { name: m[2], options, end: close < 0 ? code.length : close + 1 };
}

function scanScript(text: string): ScanResult {
  const code = blankComments(text);
  const lines = new LineIndex(text);
  const classes = scriptClasses(code, lines);
  const registrations: ScannedRegistration[] = [];
  const REGISTER_RE = /(@?)(?:[A-Za-z_$][\w$]*\.)?register\s*(?=\()/g;
  for (let m = REGISTER_RE.exec(code); m; m = REGISTER_RE.exec(code)) {
    const args = registerArgs(code, m.index + m[0].length);
    if (!args.name) continue;
    let target: ScriptClass | undefined;
    if (m[1] === "@") {
      // The decorated class: the first class declared after the decorator.
      target = classes.find((c) => c.start >= args.end - 1 || c.bodyStart > args.end);
    } else {
      const call = /^\s*\(\s*([A-Za-z_$][\w$]*)\s*\)/.exec(code.slice(args.end, args.end + 200));
      if (!call) continue;
      target = classes.find((c) => c.cls.name === call[1]);
    }
    if (!target) continue;
    registrations.push(describeScriptClass(text, code, target, args.name, args.options));
  }
  return { classes: classes.map((c) => c.cls), registrations };
}

function describeScriptClass(
  text: string,
  code: string,
  target: ScriptClass,
  name: string,
  options: Record<string, unknown> | undefined,
): ScannedRegistration {
  const body = code.slice(target.bodyStart, target.bodyEnd);
  const statics = (field: string): unknown => {
    const re = new RegExp(`static\\s+(?:readonly\\s+)?${field}\\s*(?::[^=;]+)?=\\s*`);
    const m = re.exec(body);
    // Plain JS also attaches them after the class: `MyPipe.params = {...}`.
    const assigned = m ? undefined : new RegExp(`(?:^|[^\\w$.])${target.cls.name}\\.${field}\\s*=\\s*`).exec(code);
    if (!m && !assigned) return undefined;
    const at = m ? target.bodyStart + m.index + m[0].length : assigned!.index + assigned![0].length;
    if (code[at] === "{" || code[at] === "[") return readLiteral(code, at);
    if (/["'`]/.test(code[at])) return readLiteral(code, at);
    // `static params = PARAMS`: a constant declared in the same file.
    const ref = /^[A-Za-z_$][\w$]*/.exec(code.slice(at, at + 100));
    if (ref) {
      const decl = new RegExp(`(?:const|let|var)\\s+${ref[0]}\\s*(?::[^=;]+)?=\\s*`).exec(code);
      if (decl) return readLiteral(code, decl.index + decl[0].length);
    }
    return undefined;
  };
  const params = toParams(options?.params ?? statics("params"));
  const description = str(options?.description) ?? str(statics("description")) ?? jsDocBefore(text, target.start);
  const metrics = strList(options?.metrics ?? statics("metrics"));
  const kind = str(options?.kind);
  return {
    name,
    className: target.cls.name,
    kind: kind && KINDS.has(kind) ? (kind as RegistryKind) : undefined,
    params,
    description,
    metrics,
    closed: options?.closed === true ? true : undefined,
    line: target.cls.line,
    character: target.cls.character,
  };
}

function jsDocBefore(text: string, classStart: number): string | undefined {
  const before = text.slice(Math.max(0, classStart - 2000), classStart);
  const m = /\/\*\*([\s\S]*?)\*\/\s*(?:@[^\n]*\n\s*)*(?:export\s*)?(?:default\s*)?(?:abstract\s*)?$/.exec(before);
  if (!m) return undefined;
  const doc = m[1]
    .split("\n")
    .map((l) => l.replace(/^\s*\*\s?/, "").trim())
    .filter((l) => l && !l.startsWith("@"))
    .join(" ");
  return doc || undefined;
}

// --- Python -----------------------------------------------------------------------------------

const PY_CLASS_RE = /^([ \t]*)class\s+([A-Za-z_]\w*)\s*(?:\(([^)]*)\))?\s*:/gm;

function pythonClasses(text: string, lines: LineIndex): ScannedClass[] {
  const out: ScannedClass[] = [];
  PY_CLASS_RE.lastIndex = 0;
  for (let m = PY_CLASS_RE.exec(text); m; m = PY_CLASS_RE.exec(text)) {
    const bases = (m[3] ?? "")
      .split(",")
      .map((b) => b.trim().split(".").pop() ?? "")
      .filter((b) => /^[A-Za-z_]\w*$/.test(b));
    out.push({ name: m[2], bases, ...lines.at(m.index + m[0].indexOf(m[2], m[1].length + 5)) });
  }
  return out;
}

function scanPython(text: string): ScanResult {
  const lines = new LineIndex(text);
  const classes = pythonClasses(text, lines);
  const registrations: ScannedRegistration[] = [];
  const RE =
    /^[ \t]*@(?:[\w.]*\.)?register\(\s*(["'])([^"']+)\1[^)]*\)\s*\n(?:[ \t]*@[^\n]*\n)*[ \t]*class\s+([A-Za-z_]\w*)/gm;
  for (let m = RE.exec(text); m; m = RE.exec(text)) {
    const cls = classes.find((c) => c.name === m![3] && lines.at(m!.index).line <= c.line);
    if (!cls) continue;
    const classLineEnd = text.indexOf("\n", m.index + m[0].length);
    const body = pythonBody(text, classLineEnd < 0 ? text.length : classLineEnd + 1);
    const attr = (field: string): unknown => {
      const a = new RegExp(`^[ \\t]+${field}\\s*(?::[^=\\n]+)?=\\s*`, "m").exec(body.text);
      return a ? readLiteral(text, body.start + a.index + a[0].length) : undefined;
    };
    const doc = /^\s*(?:"""|''')([\s\S]*?)(?:"""|''')/.exec(body.text);
    registrations.push({
      name: m[2],
      className: cls.name,
      params: toParams(attr("params")),
      description:
        str(attr("description")) ??
        doc?.[1]
          .trim()
          .split(/\n\s*\n/)[0]
          .replace(/\s+/g, " "),
      metrics: strList(attr("metrics")),
      line: cls.line,
      character: cls.character,
    });
  }
  return { classes, registrations };
}

/** The indented block after a `class X:` line. */
function pythonBody(text: string, start: number): { start: number; text: string } {
  const rest = text.slice(start);
  const lines = rest.split("\n");
  let indent: number | undefined;
  let len = 0;
  for (const line of lines) {
    if (line.trim() === "") {
      len += line.length + 1;
      continue;
    }
    const ind = /^[ \t]*/.exec(line)![0].length;
    if (indent === undefined) indent = ind;
    if (ind < indent || ind === 0) break;
    len += line.length + 1;
  }
  return { start, text: rest.slice(0, len) };
}

// --- helpers ---------------------------------------------------------------------------------

function str(v: unknown): string | undefined {
  return typeof v === "string" ? v : undefined;
}

function strList(v: unknown): string[] | undefined {
  return Array.isArray(v) ? v.filter((x): x is string => typeof x === "string") : undefined;
}

/** Keeps the entries that have the ParamsSchema shape (a known `type`). */
function toParams(v: unknown): ParamsSchema | undefined {
  if (!v || typeof v !== "object" || Array.isArray(v)) return undefined;
  const out: Record<string, ParamSchema> = {};
  for (const [key, raw] of Object.entries(v as Record<string, unknown>)) {
    if (!raw || typeof raw !== "object") continue;
    const p = raw as Record<string, unknown>;
    const type = str(p.type) as ParamType | undefined;
    if (!type || !PARAM_TYPES.has(type)) continue;
    const schema: { -readonly [K in keyof ParamSchema]: ParamSchema[K] } = { type };
    if (typeof p.description === "string") schema.description = p.description;
    if (typeof p.required === "boolean") schema.required = p.required;
    if ("default" in p) schema.default = p.default;
    if (Array.isArray(p.enum))
      schema.enum = p.enum.filter((x): x is string | number => typeof x === "string" || typeof x === "number");
    if (typeof p.minimum === "number") schema.minimum = p.minimum;
    if (typeof p.maximum === "number") schema.maximum = p.maximum;
    out[key] = schema;
  }
  return out;
}
