/** "Did you mean" for names: Damerau-Levenshtein distance, case-insensitive, closest first. */
export function editDistance(a: string, b: string): number {
  const s = a.toLowerCase();
  const t = b.toLowerCase();
  const d: number[][] = Array.from({ length: s.length + 1 }, (_, i) => [i, ...new Array<number>(t.length).fill(0)]);
  for (let j = 1; j <= t.length; j++) d[0][j] = j;
  for (let i = 1; i <= s.length; i++) {
    for (let j = 1; j <= t.length; j++) {
      const cost = s[i - 1] === t[j - 1] ? 0 : 1;
      d[i][j] = Math.min(d[i - 1][j] + 1, d[i][j - 1] + 1, d[i - 1][j - 1] + cost);
      if (i > 1 && j > 1 && s[i - 1] === t[j - 2] && s[i - 2] === t[j - 1]) {
        d[i][j] = Math.min(d[i][j], d[i - 2][j - 2] + 1);
      }
    }
  }
  return d[s.length][t.length];
}

/** Up to `max` candidates close enough to `name` to be what the user meant. */
export function closestNames(name: string, candidates: Iterable<string>, max = 3): string[] {
  const limit = Math.max(2, Math.floor(name.length / 3));
  const lower = name.toLowerCase();
  return [...candidates]
    .map((c) => {
      const cl = c.toLowerCase();
      // A prefix or substring match is as good as a small typo.
      const contains = lower.length >= 3 && (cl.includes(lower) || lower.includes(cl));
      if (contains) return { c, d: cl === lower ? 0 : 1 };
      // The distance is at least the difference in length: far names need no table (a closed
      // section of 40,000 unknown keys asks this 40,000 times).
      if (Math.abs(cl.length - lower.length) > limit) return { c, d: Infinity };
      return { c, d: editDistance(name, c) };
    })
    .filter((x) => x.d <= limit)
    .sort((x, y) => x.d - y.d || x.c.localeCompare(y.c))
    .slice(0, max)
    .map((x) => x.c);
}
