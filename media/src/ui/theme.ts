/**
 * Colours from the VS Code theme (CSS variables the webview gets), with the Dark+ values as
 * fallbacks so the harness page and a theme without chart colours still render.
 */
import { runColor } from "../../../client/src/core/run-colors";

export interface RunStyle {
  color: string;
  faint: string;
  dash: number[];
}

function cssVar(name: string, fallback: string): string {
  const v = getComputedStyle(document.body).getPropertyValue(name).trim();
  return v || fallback;
}

/** Parses #rgb/#rrggbb/rgb()/rgba() and returns rgba() with the given alpha. */
export function withAlpha(color: string, alpha: number): string {
  const c = color.trim();
  let r: number, g: number, b: number;
  const hex = /^#([0-9a-f]{3,8})$/i.exec(c);
  if (hex) {
    const h = hex[1];
    const full =
      h.length === 3 || h.length === 4
        ? h
            .split("")
            .map((x) => x + x)
            .join("")
        : h;
    r = parseInt(full.slice(0, 2), 16);
    g = parseInt(full.slice(2, 4), 16);
    b = parseInt(full.slice(4, 6), 16);
  } else {
    const m = /rgba?\(\s*([\d.]+)[,\s]+([\d.]+)[,\s]+([\d.]+)/i.exec(c);
    if (!m) return c;
    [r, g, b] = [Number(m[1]), Number(m[2]), Number(m[3])];
  }
  return `rgba(${r}, ${g}, ${b}, ${alpha})`;
}

export function runStyle(runId: number): RunStyle {
  const rc = runColor(runId);
  const color = cssVar(rc.cssVar, rc.fallback);
  return { color, faint: withAlpha(color, 0.25), dash: rc.dash };
}

export function chartTheme(): { foreground: string; grid: string; background: string; font: string } {
  const foreground = cssVar("--vscode-descriptionForeground", cssVar("--vscode-foreground", "#cccccc"));
  const family = cssVar("--vscode-font-family", "sans-serif");
  return {
    foreground,
    grid: withAlpha(cssVar("--vscode-foreground", "#cccccc"), 0.1),
    background: cssVar("--vscode-editor-background", "#1e1e1e"),
    font: `11px ${family}`,
  };
}
