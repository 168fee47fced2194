// Finds mocha suite files and prepares them for an extension host: plain JS runs as is,
// TypeScript is bundled by esbuild into CommonJS (vscode and mocha stay external, so the
// host's `vscode` module and the runner's mocha globals are used). Shared by run.mjs
// (code-server) and test-electron.mjs.
import { existsSync, mkdirSync, readdirSync, statSync } from "node:fs";
import { basename, join, relative, resolve } from "node:path";

const SUITE = /\.test\.(c?js|ts)$/;

/** Expands files and folders (searched for *.test.{js,cjs,ts}) into a sorted file list. */
export function collectSuites(args) {
  const files = [];
  const walk = (d) => {
    for (const n of readdirSync(d).sort()) {
      if (n === "node_modules") continue;
      const full = join(d, n);
      if (statSync(full).isDirectory()) walk(full);
      else if (SUITE.test(n)) files.push(full);
    }
  };
  for (const a of args) {
    const p = resolve(a);
    if (!existsSync(p)) throw new Error(`suites path not found: ${a}`);
    if (statSync(p).isDirectory()) walk(p);
    else files.push(p);
  }
  return files;
}

/** Returns runnable .js/.cjs paths; .ts files are bundled into outDir. */
export async function prepareSuites(files, outDir, repoRoot) {
  const out = [];
  let esbuild;
  for (const f of files) {
    if (!f.endsWith(".ts")) {
      out.push(f);
      continue;
    }
    esbuild ??= await import("esbuild");
    mkdirSync(outDir, { recursive: true });
    // Named after the source (path inside the repo), so stack traces say which suite failed.
    const rel = relative(repoRoot, f);
    const label = rel.startsWith("..") ? `${out.length}-${basename(f)}` : rel.replace(/[\\/]/g, "__");
    const outfile = join(outDir, label.replace(/\.ts$/, ".cjs"));
    await esbuild.build({
      entryPoints: [f],
      outfile,
      bundle: true,
      platform: "node",
      format: "cjs",
      target: "node20",
      sourcemap: "inline",
      external: ["vscode", "mocha"],
      logLevel: "error",
    });
    out.push(outfile);
  }
  return out;
}
