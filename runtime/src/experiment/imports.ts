import * as fs from "node:fs";
import * as path from "node:path";
import { pathToFileURL } from "node:url";
import { ConfigError } from "../common/errors";
import { getRegistry } from "../registry/registry";
import { resolveImport } from "../config/validate";

const TS_EXTENSIONS = [".ts", ".tsx", ".mts", ".cts"];
let hookInstalled = false;

/**
 * Lets `require` load TypeScript: each .ts file is transpiled on load by esbuild (types
 * stripped, standard decorators lowered, CommonJS out, inline source maps so stack traces point
 * at the user's lines). No type checking: that is the editor's job.
 */
export function installTypeScriptHook(): void {
  if (hookInstalled) return;
  hookInstalled = true;
  const esbuild = require("esbuild") as typeof import("esbuild");
  const extensions = (require as NodeJS.Require & { extensions: Record<string, (m: NodeJS.Module, f: string) => void> }).extensions;
  for (const ext of TS_EXTENSIONS) {
    if (extensions[ext]) continue;
    extensions[ext] = (module, filename) => {
      const source = fs.readFileSync(filename, "utf8");
      const { code } = esbuild.transformSync(source, {
        loader: filename.endsWith("x") ? "tsx" : "ts",
        format: "cjs",
        target: "node20",
        sourcefile: filename,
        sourcemap: "inline",
        tsconfigRaw: { compilerOptions: { experimentalDecorators: false, useDefineForClassFields: true } },
      });
      (module as NodeJS.Module & { _compile(code: string, file: string): void })._compile(code, filename);
    };
  }
  // Source maps for transpiled files in stack traces.
  process.setSourceMapsEnabled?.(true);
}

// `import()` kept as a real dynamic import even though this file compiles to CommonJS.
const dynamicImport = new Function("specifier", "return import(specifier)") as (s: string) => Promise<unknown>;

/**
 * Loads the modules listed under `imports:` in env.yaml (paths relative to env.yaml), so the
 * pipelines, trackers and callbacks they register are known. A module that fails to load is
 * reported with the env.yaml entry that named it.
 */
export async function loadImports(envPath: string, specs: unknown, locate: (index: number) => { line: number; column: number }): Promise<string[]> {
  if (!Array.isArray(specs)) return [];
  const registry = getRegistry();
  const loaded: string[] = [];
  for (let i = 0; i < specs.length; i++) {
    const spec = specs[i];
    const where = { file: envPath, ...locate(i) };
    if (typeof spec !== "string") throw new ConfigError(where, `imports[${i}] must be a path string`);
    const file = resolveImport(envPath, spec, (p) => fs.existsSync(p) && fs.statSync(p).isFile());
    if (!file) throw new ConfigError(where, `Cannot find module '${spec}' (relative to ${path.dirname(envPath)})`, "fix the path under imports:");
    registry.currentModule = file;
    try {
      if (TS_EXTENSIONS.some((e) => file.endsWith(e))) installTypeScriptHook();
      if (file.endsWith(".mjs")) await dynamicImport(pathToFileURL(file).href);
      else require(file);
      loaded.push(file);
    } catch (error) {
      const err = error as Error & { code?: string };
      if (err.code === "ERR_REQUIRE_ESM") {
        await dynamicImport(pathToFileURL(file).href);
        loaded.push(file);
        continue;
      }
      const e = new ConfigError(where, `Loading '${spec}' failed: ${err.message}`, "fix the module, then run again");
      e.stack = `${e.message}\n${err.stack ?? ""}`;
      throw e;
    } finally {
      registry.currentModule = undefined;
    }
  }
  return loaded;
}
