/** The extension's settings (`experimentManager.*`), read in one place. */
import * as vscode from "vscode";

export const SECTION = "experimentManager";

export interface Settings {
  nodePath: string;
  configGlobs: string[];
  databaseGlobs: string[];
  maxParallelRuns: number;
  stopGracePeriodSeconds: number;
  failFast: boolean;
  revealOutput: "always" | "onError" | "never";
  notifyOnFinish: boolean;
}

function strings(value: unknown, fallback: string[]): string[] {
  return Array.isArray(value) ? value.filter((v): v is string => typeof v === "string" && v.trim() !== "") : fallback;
}

export function readSettings(): Settings {
  const c = vscode.workspace.getConfiguration(SECTION);
  const nodePath = (c.get<string>("nodePath") ?? "").trim();
  return {
    nodePath: nodePath || "node",
    configGlobs: strings(c.get("configGlobs"), []),
    databaseGlobs: strings(c.get("databaseGlobs"), ["**/artifacts/*.db"]),
    maxParallelRuns: Math.max(1, Math.floor(c.get<number>("maxParallelRuns") ?? 1)),
    stopGracePeriodSeconds: Math.max(0, c.get<number>("stopGracePeriodSeconds") ?? 10),
    failFast: c.get<boolean>("failFast") ?? false,
    revealOutput: (c.get<string>("revealOutput") as Settings["revealOutput"]) ?? "onError",
    notifyOnFinish: c.get<boolean>("notifyOnFinish") ?? true,
  };
}
