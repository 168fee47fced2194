/**
 * The fast reader of plain block YAML (runtime/src/config/plain-yaml.ts) must build exactly the
 * tree the yaml library path builds (values, offsets, key offsets, insertion points), and must
 * step aside (undefined) for every text outside its subset: compared here on the repository's
 * own YAML files, a generated trials file and a set of edge cases and random mutations.
 */
import assert from "node:assert/strict";
import { readdirSync, readFileSync, statSync } from "node:fs";
import { join } from "node:path";
import { test } from "node:test";
import { parseLocated, parseWithLibrary, sourceFile, YAML_LIMITS, type LValue } from "../src/config/located";
import { readPlainBlock } from "../src/config/plain-yaml";
import { trialsYaml } from "./helpers/trials-yaml";

const REPO = join(__dirname, "..", "..");

/** A comparable copy of a located tree (the file objects replaced by their paths). */
function shape(v: LValue | undefined): unknown {
  if (!v) return v;
  const base = { kind: v.kind, start: v.start, end: v.end, keyStart: v.keyStart, keyEnd: v.keyEnd };
  if (v.kind === "scalar") return { ...base, value: Number.isNaN(v.value) ? "NaN" : v.value };
  if (v.kind === "seq") return { ...base, items: v.items.map(shape) };
  return {
    ...base,
    insertAt: v.insertAt,
    insertSuffix: v.insertSuffix,
    entries: [...v.entries].map(([k, e]) => [k, e.key, e.keyStart, e.keyEnd, shape(e.value)]),
  };
}

/** Asserts both paths agree; returns whether the fast one took the text. */
function agree(text: string, where = "text"): boolean {
  const file = sourceFile("trials", "/x/trials.yaml", text);
  const fast = readPlainBlock(file, YAML_LIMITS.depth);
  const library = parseWithLibrary(sourceFile("trials", "/x/trials.yaml", text));
  if (fast === undefined) return false;
  assert.deepEqual(library.problems, [], `${where}: the fast reader took a text with problems:\n${text}`);
  assert.deepEqual(shape(fast), shape(library.root), `${where}: trees differ for:\n${text}`);
  return true;
}

function yamlFiles(dir: string, out: string[] = []): string[] {
  for (const name of readdirSync(dir)) {
    if (name === "node_modules" || name === ".git" || name === "out" || name === "dist") continue;
    const p = join(dir, name);
    const st = statSync(p);
    if (st.isDirectory()) yamlFiles(p, out);
    else if (/\.ya?ml$/.test(name) && st.size < 1_000_000) out.push(p);
  }
  return out;
}

test("the repository's YAML files read the same on both paths", () => {
  let taken = 0;
  const files = yamlFiles(REPO);
  assert.ok(files.length > 20, `found ${files.length} YAML files`);
  for (const f of files) if (agree(readFileSync(f, "utf8"), f)) taken++;
  // Most of them are plain block YAML: the fast path is the common one, not a curiosity.
  assert.ok(taken > files.length / 2, `the fast reader took ${taken} of ${files.length}`);
});

test("a generated 5,000-line trials file reads the same on both paths", () => {
  assert.equal(agree(trialsYaml(5000, { annotated: true })), true);
});

test("edge cases: values, nulls, nesting, same-column lists, comments, end of text", () => {
  const taken = [
    "a: 1",
    "a: 1\n",
    "a:\n",
    "a:\nb: 2\n",
    "a: ~\nb: null\nc: Null\nd: true\ne: False\nf: 0x1F\ng: 0o17\nh: -3\ni: +4\nj: 1.5e3\nk: .inf\nl: -.Inf\nm: .nan\nn: 1_000\no: 07\np: 1.\nq: -.5\n",
    "a: http://x.y/z?q=1\nb: a:b\nc: x # y\nd: x#y\ne: 'it is'\nf: \"q\"  # c\ng: ''\nh: \"\"\n",
    "a: x   \nb: y  \n",
    "l:\n- a\n- b\n# t\nm: 1\n",
    "l:\n  - a\n  -\n  - b: 2\n    c: 3\n",
    "- a: 1\n  b:\n- 2\n",
    "- a: 1\n  b:\n    - x\n    - y\n-   c: 3\n    d: 4\n",
    "a:\n  b: 1\n  # inner tail\n\nc: 2",
    "a:\n  b:\n    c:\n      d: 1\n",
    "a:\n  b:\n    c:\n      d:\n",
    "a:\n  b:\n    - 1\n\n\n# trailing\n\n",
    "  a: 1\n  b: 2\n",
    "- x\n- y",
    "a.b: 1\nc/d: 2\ne-f: 3\n_g: 4\n",
  ];
  for (const t of taken) assert.equal(agree(t), true, `the fast reader should take:\n${t}`);
  const refused = [
    "",
    "# only a comment\n",
    "a: [1, 2]\n",
    "a: {b: 1}\n",
    "a: &x 1\nb: *x\n",
    "a: !!str 1\n",
    "a: |\n  text\n",
    "a: >\n  text\n",
    "a: one\n  two\n",
    'a: "x\\ny"\n',
    "a: 'it''s'\n",
    "a: 1\na: 2\n",
    "a:\tb\n",
    "a: 1\r\nb: 2\r\n",
    "---\na: 1\n",
    "a: 1\n---\nb: 2\n",
    "%YAML 1.2\n---\na: 1\n",
    "- - x\n",
    "? a\n: b\n",
    "1: x\n",
    "true: x\n",
    "a b: x\n",
    '"a": x\n',
    "a: x: y\n",
    "a: x:\n",
    "a:  # note\n  b: 1\n",
    "a: 1\n  b: 2\n",
    "a:\n    b: 1\n  c: 2\n",
    "- a\nb: 1\n",
    "a: -x\n",
    "a: @x\n",
    "a: `x`\n",
    "<<: *x\n",
  ];
  for (const t of refused) {
    assert.equal(readPlainBlock(sourceFile("trials", "/x/t.yaml", t), YAML_LIMITS.depth), undefined, t);
    // and parseLocated still answers through the library
    parseLocated(sourceFile("trials", "/x/t.yaml", t));
  }
});

test("random mutations of a config never make the two paths disagree", () => {
  const base = trialsYaml(60, { annotated: true });
  const pieces = [" ", "\n", "-", ":", "#", "'", '"', "a", "1", "  ", "- ", ": ", "[", "\n  ", "~", ".5", "x:"];
  let seed = 12345;
  const rand = (n: number) => {
    seed = (seed * 1103515245 + 12345) & 0x7fffffff;
    return seed % n;
  };
  let taken = 0;
  for (let k = 0; k < 400; k++) {
    let text = base;
    for (let m = 0; m < 1 + rand(3); m++) {
      const at = rand(text.length);
      const cut = rand(3);
      text = text.slice(0, at) + pieces[rand(pieces.length)] + text.slice(at + cut);
    }
    if (agree(text, `mutation ${k}`)) taken++;
  }
  // Both outcomes must occur, or the mutations test nothing.
  assert.ok(taken > 20 && taken < 400, `the fast reader took ${taken} of 400 mutated texts`);
});

test("an empty value followed by comment lines is left to the library (it stretches the collections over them)", () => {
  for (const text of [
    "a:\n  c:\n# x\nd: 2\n",
    "a:\n  b: 1\n  c:\n\n\n# x\nd: 2\n",
    "a:\n  c:\n  # x\nd: 2\n",
    "a:\n  c:\n# x\n",
  ])
    assert.equal(agree(text), false, JSON.stringify(text));
  // Without comments, or after a non-empty value, the fast path keeps them.
  assert.equal(agree("a:\n  c:\n\n\nd: 2\n"), true);
  assert.equal(agree("a:\n  b: 1\n\n# x\nd: 2\n"), true);
});
