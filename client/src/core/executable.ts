/**
 * Resolves a program name (the `experimentManager.nodePath` setting, `node` by default) to an
 * absolute path before anything is spawned. A bare name handed to spawn is looked up by the
 * OS, and on Windows the current directory (the workspace folder) comes first: a `node.exe`
 * planted in a repository would run. Here only absolute PATH entries are searched. No `vscode`.
 */
import * as fs from "node:fs";
import * as path from "node:path";

export interface ExecutableLookup {
  platform?: NodeJS.Platform;
  env?: NodeJS.ProcessEnv;
}

function isExecutableFile(file: string, platform: NodeJS.Platform): boolean {
  try {
    const stat = fs.statSync(file);
    if (!stat.isFile()) return false;
    if (platform === "win32") return true;
    fs.accessSync(file, fs.constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

/**
 * The absolute path of `program`, or an error message saying why there is none. An absolute
 * `program` is taken as is (if it is an executable file); a relative path with a separator is
 * refused (relative to what? the workspace is exactly what must not decide); a bare name is
 * searched in the absolute entries of PATH (with PATHEXT on Windows).
 */
export function resolveExecutable(
  program: string,
  lookup: ExecutableLookup = {},
): { path: string } | { error: string } {
  const platform = lookup.platform ?? process.platform;
  const env = lookup.env ?? process.env;
  const p = platform === "win32" ? path.win32 : path.posix;
  if (p.isAbsolute(program))
    return isExecutableFile(program, platform) ? { path: program } : { error: "no such executable file" };
  if (program.includes("/") || (platform === "win32" && program.includes("\\"))) {
    return {
      error:
        "a relative path is not used (it would be resolved against the workspace); give an absolute path or a program name on PATH",
    };
  }
  const pathVar = (platform === "win32" ? (env.Path ?? env.PATH) : env.PATH) ?? "";
  const dirs = pathVar.split(platform === "win32" ? ";" : ":").filter((d) => d !== "" && p.isAbsolute(d));
  const exts =
    platform === "win32" && !/\.[^.\\/]+$/.test(program)
      ? (env.PATHEXT ?? ".COM;.EXE;.BAT;.CMD").split(";").filter(Boolean)
      : [""];
  for (const dir of dirs) {
    for (const ext of exts) {
      const candidate = p.join(dir, program + ext);
      if (isExecutableFile(candidate, platform)) return { path: candidate };
    }
  }
  return { error: `not found on PATH (searched ${dirs.length} absolute folder${dirs.length === 1 ? "" : "s"})` };
}
