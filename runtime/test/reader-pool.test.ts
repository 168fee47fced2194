/**
 * `expman serve` reads quick files in one shared reader process (a Node start per database
 * made the editor's cold tree grow by ~130 ms of CPU per experiment folder), and gives a file
 * a reader of its own once it misbehaves. Counted from outside: the serve process's children.
 */
import { test, after } from "node:test";
import assert from "node:assert/strict";
import * as fs from "node:fs";
import { healthy, serve } from "./helpers/serve";

const services: ReturnType<typeof serve>[] = [];
after(() => {
  for (const s of services) if (s.child.exitCode === null) s.child.kill("SIGKILL");
});

/** Pids of the live processes whose parent is `pid` (read from /proc, as ps would). */
function childrenOf(pid: number): number[] {
  const found: number[] = [];
  for (const entry of fs.readdirSync("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = fs.readFileSync(`/proc/${entry}/stat`, "utf8");
      // Fields after the command (which may hold spaces): state, ppid, ...
      const [, ppid] = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
      if (Number(ppid) === pid) found.push(Number(entry));
    } catch {
      /* gone meanwhile */
    }
  }
  return found;
}

test("serve: eight databases asked at once are answered by one reader process", async () => {
  const files: string[] = [];
  for (let i = 0; i < 8; i++) files.push(await healthy(`pool-${i}.db`));
  const s = serve();
  services.push(s);
  // One after another: the shared reader is idle at each request, so no file gets its own.
  for (const db of files) assert.equal((await s.ask("experiments.list", { db })).result?.length, 1);
  assert.equal(childrenOf(s.child.pid!).length, 1, "one reader for all eight files");
  // All at once (the tree's cold start): all answered. (How many readers that takes depends on
  // the machine's load: a file held past BYPASS_MS sends the others to readers of their own.)
  const runs = await Promise.all(files.map((db) => s.ask("runs.list", { db })));
  for (const r of runs) assert.equal(r.result?.length, 1, JSON.stringify(r));
  // db.close closes what the shared reader holds, and starts nothing for a file never read.
  assert.equal((await s.ask("db.close", { db: files[0] })).result?.closed, true);
  assert.equal((await s.ask("db.close", { db: files[0] + ".never" })).result?.closed, false);
  assert.equal((await s.ask("runs.list", { db: files[0] })).result?.length, 1, "a closed file is read again");
  s.stop();
});

test("serve: a shared reader that dies costs no answer: the request it held is asked again, alone", async () => {
  const good = [await healthy("share-a.db"), await healthy("share-b.db")];
  const s = serve();
  services.push(s);
  for (const db of good) assert.equal((await s.ask("runs.list", { db })).result?.length, 1);
  const [shared] = childrenOf(s.child.pid!);
  assert.ok(shared, "a shared reader runs");
  // Killed from outside (as if SQLite crashed), with or without a request in it.
  const held = s.ask("runs.list", { db: good[0] });
  process.kill(shared, "SIGKILL");
  assert.equal((await held).result?.length, 1, JSON.stringify(await held));
  for (const db of good) {
    const again = await s.ask("runs.list", { db });
    assert.equal(again.result?.length, 1, JSON.stringify(again));
  }
  assert.ok(!childrenOf(s.child.pid!).includes(shared), "the dead reader is gone");
  s.stop();
});
