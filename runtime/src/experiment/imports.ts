import * as fs from "node:fs";
import * as path from "node:path";
import { pathToFileURL } from "node:url";
import { configProblem, ConfigValidationError, type ConfigPosition } from "../config/diagnostic";
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
  const extensions = (require as NodeJS.Require & { extensions: Record<string, (m: NodeJS.Module, f: string) => void> })
    .extensions;
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

/** What a module that calls process.exit while being imported throws instead of exiting. */
class ImportExit extends Error {
  constructor(code: number | string | null | undefined) {
    super(
      `the module called process.exit(${code ?? ""}) while being imported; a module under imports: must only define and register types`,
    );
  }
}

// `import()` kept as a real dynamic import even though this file compiles to CommonJS.
const dynamicImport = new Function("specifier", "return import(specifier)") as (s: string) => Promise<unknown>;

/**
 * Loads the modules listed under `imports:` in env.yaml (paths relative to env.yaml), so the
 * pipelines, trackers and callbacks they register are known. A module that fails to load is
 * reported with the env.yaml entry that named it.
 */
export async function loadImports(
  envPath: string,
  specs: unknown,
  locate: (index: number) => ConfigPosition,
): Promise<string[]> {
  if (!Array.isArray(specs)) return [];
  const registry = getRegistry();
  const loaded: string[] = [];
  for (let i = 0; i < specs.length; i++) {
    const spec = specs[i];
    const problem = (code: "missing-import" | "import-failed", message: string) =>
      new ConfigValidationError([configProblem("env", envPath, locate(i), code, message)]);
    if (typeof spec !== "string") throw problem("missing-import", `imports[${i}] must be a path string`);
    const file = resolveImport(envPath, spec, (p) => fs.existsSync(p) && fs.statSync(p).isFile());
    if (!file)
      throw problem(
        "missing-import",
        `Cannot find module '${spec}' (relative to ${path.dirname(envPath)}): fix the path under imports:`,
      );
    registry.currentModule = file;
    // A module that exits while being imported would end `validate` or `run` with its exit
    // code and nothing said (exit 0: "success"): refuse it, naming the module.
    const exit = process.exit;
    process.exit = ((code?: number | string | null) => {
      throw new ImportExit(code);
    }) as typeof process.exit;
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
      const e = problem("import-failed", `Loading '${spec}' failed: ${err.message} (fix the module, then run again)`);
      e.stack = `${e.message}\n${err.stack ?? ""}`;
      throw e;
    } finally {
      process.exit = exit;
      registry.currentModule = undefined;
    }
  }
  return loaded;
}
