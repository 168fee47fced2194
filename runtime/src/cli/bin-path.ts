import * as fs from "node:fs";
import * as path from "node:path";

/**
 * The `expman` bin script of the runtime this code belongs to, which parent processes start for
 * their children (parallel workers, per-file readers). Found by walking up from this module:
 * the code runs from three depths (runtime/dist/index.js, the bundle; runtime/dist/cli/*.js,
 * tsc's per-file output; runtime/src/cli/*.ts under tsx in the tests), and the nearest folder
 * holding bin/expman.js is the runtime's root in each.
 */
export function expmanBin(from: string = __dirname): string {
  for (let dir = from; ; dir = path.dirname(dir)) {
    const candidate = path.join(dir, "bin", "expman.js");
    if (fs.existsSync(candidate)) return candidate;
    if (path.dirname(dir) === dir) throw new Error(`no bin/expman.js above ${from}: the runtime package is incomplete`);
  }
}
