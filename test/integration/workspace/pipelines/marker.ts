// Workspace code with a visible side effect: loading this module writes `imported.marker`
// beside the workspace's configs folder. The Restricted Mode suite asserts it never appears
// (no child process loads workspace modules there); the trusted suite asserts that a real
// `expman validate` does write it, so the marker is known to work.
import * as fs from "node:fs";
import * as path from "node:path";

fs.writeFileSync(path.join(__dirname, "..", "imported.marker"), `loaded by pid ${process.pid}\n`);
