/**
 * Run colours, shared by the Experiments tree and the metrics panel so a run has the same
 * colour everywhere. Pure data (no `vscode`, no DOM): the webview bundles it too.
 */
/**
 * The tree and the panel both call runColor(runId): `themeColor` is a VS Code theme colour id (for ThemeIcon in the tree), `cssVar`
 * its webview CSS variable, `fallback` the Dark+ value. Past six runs the colours repeat with
 * a different dash pattern in the charts (`dash`), which the legend shows too.
 */
export interface RunColor {
  themeColor: string;
  cssVar: string;
  fallback: string;
  dash: number[];
}
const PALETTE = [
  ["charts.blue", "#3794ff"],
  ["charts.orange", "#d18616"],
  ["charts.green", "#89d185"],
  ["charts.red", "#f14c4c"],
  ["charts.purple", "#b180d7"],
  ["charts.yellow", "#cca700"],
] as const;
const DASHES = [[], [8, 4], [2, 3], [10, 3, 2, 3]];

export function runColor(runId: number): RunColor {
  const slot = ((runId % PALETTE.length) + PALETTE.length) % PALETTE.length;
  const [themeColor, fallback] = PALETTE[slot];
  const dash = DASHES[Math.floor(Math.abs(runId) / PALETTE.length) % DASHES.length];
  return { themeColor, cssVar: `--vscode-${themeColor.replace(".", "-")}`, fallback, dash };
}
