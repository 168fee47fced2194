/** The extension's settings (`experimentManager.*`), read in one place. */
import * as vscode from "vscode";

export const SECTION = "experimentManager";

export interface Settings {
  nodePath: string;
  configGlobs: string[];
  databaseGlobs: string[];
  /** Runs of one experiment at once (`expman run --jobs`), unless env.yaml says `parallel:`. */
  maxParallelRuns: number;
  /** Experiments started from the editor that run side by side; more wait in a queue. */
  maxParallelExperiments: number;
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
    maxParallelExperiments: Math.max(1, Math.floor(c.get<number>("maxParallelExperiments") ?? 1)),
    stopGracePeriodSeconds: Math.max(0, c.get<number>("stopGracePeriodSeconds") ?? 10),
    failFast: c.get<boolean>("failFast") ?? false,
    revealOutput: (c.get<string>("revealOutput") as Settings["revealOutput"]) ?? "onError",
    notifyOnFinish: c.get<boolean>("notifyOnFinish") ?? true,
  };
}

/** The settings as they apply to one folder (`maxParallelRuns` may be set per workspace folder). */
export function settingsFor(dir: string): Pick<Settings, "maxParallelRuns"> {
  const c = vscode.workspace.getConfiguration(SECTION, vscode.Uri.file(dir));
  return { maxParallelRuns: Math.max(1, Math.floor(c.get<number>("maxParallelRuns") ?? 1)) };
}
