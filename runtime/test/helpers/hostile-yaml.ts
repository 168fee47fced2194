/** Hostile YAML texts (issue 13.5), shared by the tests and the benchmark. */

/** `levels` of flow nesting under `pipeline:` (1,000 levels are 2 KB). */
export function deepFlow(levels: number): string {
  return `pipeline: ${"[".repeat(levels)}${"]".repeat(levels)}\n`;
}

/** An alias bomb: `width` items per level, `levels` levels (8x9: 8^9 = 134 M expansions). */
export function aliasBomb(width = 8, levels = 9): string {
  let s = `a0: &a0 [${Array(width).fill("x").join(", ")}]\n`;
  for (let i = 1; i < levels; i++)
    s += `a${i}: &a${i} [${Array(width)
      .fill(`*a${i - 1}`)
      .join(", ")}]\n`;
  return s;
}

/** The 2.4 KB file of the report: 1,000 levels of nesting plus an 8x9 alias bomb. */
export function hostileBase(): string {
  return `${aliasBomb()}${deepFlow(1000)}`;
}

/** A mapping of `n` keys (20,000 keys are about 400 KB). */
export function manyKeys(n: number): string {
  let s = "pipeline:\n  type: Train\n";
  for (let i = 0; i < n; i++) s += `  option_number_${i}: ${i}\n`;
  return s;
}
