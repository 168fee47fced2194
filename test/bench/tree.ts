/**
 * Tree at scale benchmark (issue 11.3, target: expand a 10,000-run experiment < 300 ms).
 * Measures what a user meets: from the expand request to the children returned, as tree items,
 * by the extension's real tree data provider (client/src/vscode/tree-provider.ts, its TreeModel
 * and QueryClient) over a real `expman serve` reading a real SQLite store of 10,000 runs written
 * by the store's own writer. Only the `vscode` module is replaced (by the few API classes the
 * provider constructs: TreeItem, EventEmitter, ThemeIcon ...): the editor itself is not running.
 *
 *   1. a sweep of 10,000 trials x 1 run: expand the experiment (first page of 200 trials, best
 *      first by val_loss): cold (first expand after the roots showed), warm (again, nothing
 *      written since: the service's order cache), and warm after a write (order worked out again);
 *      then "Show 200 more";
 *   2. one trial of 10,000 runs (seeds): expand the trial (first 200 runs).
 *
 * Beside each wall-clock figure, the CPU time it took (Linux schedstat, nanoseconds, every
 * thread): the query service's and this process's (the provider's). Under load the wall figure
 * is mostly waiting for a core; the CPU times are what a quiet machine would add up to.
 *
 *   node build.mjs runtime && npx tsx test/bench/tree.ts
 * Prints figures and the load average; asserts nothing.
 */
import * as fs from "node:fs";
import Module from "node:module";
import * as os from "node:os";
import * as path from "node:path";
import Database from "better-sqlite3";
import { writeBigExperiment } from "../../runtime/test/helpers/big-store";
import { LiveRuns } from "../../client/src/core/live-runs";
import { QueryClient } from "../../client/src/core/query-client";
import type { TreeNode } from "../../client/src/core/tree-model";
import { repoRuntime } from "../../client/test/helpers";

const runtime = repoRuntime;
const now = () => performance.now();

/**
 * CPU time of a process, every thread, and of its child processes (ms), from /proc: the query
 * service runs each database's queries in a reader process of its own. Undefined without /proc.
 */
function cpuMs(pid: number | undefined, children = true): number | undefined {
  if (pid === undefined) return undefined;
  try {
    let ms = 0;
    for (const task of fs.readdirSync(`/proc/${pid}/task`)) {
      const dir = `/proc/${pid}/task/${task}`;
      ms += Number(fs.readFileSync(`${dir}/schedstat`, "utf8").split(" ")[0]) / 1e6;
      if (!children) continue;
      for (const child of fs.readFileSync(`${dir}/children`, "utf8").split(" ").filter(Boolean))
        ms += cpuMs(Number(child)) ?? 0;
    }
    return ms;
  } catch {
    return undefined;
  }
}
const f = (ms: number) => `${ms.toFixed(1)} ms`;
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const load = () =>
  os
    .loadavg()
    .map((l) => l.toFixed(2))
    .join(" ");

/** The part of the `vscode` API the tree provider constructs. */
function vscodeStub(): unknown {
  class EventEmitter<T> {
    private listeners: ((e: T) => void)[] = [];
    event = (l: (e: T) => void) => {
      this.listeners.push(l);
      return { dispose: () => undefined };
    };
    fire(e: T) {
      for (const l of this.listeners) l(e);
    }
    dispose() {
      this.listeners = [];
    }
  }
  class TreeItem {
    id?: string;
    description?: string;
    tooltip?: unknown;
    iconPath?: unknown;
    contextValue?: string;
    command?: unknown;
    resourceUri?: unknown;
    constructor(
      readonly label: string,
      readonly collapsibleState: number,
    ) {}
  }
  class MarkdownString {
    constructor(readonly value: string) {}
  }
  class ThemeIcon {
    constructor(
      readonly id: string,
      readonly color?: unknown,
    ) {}
  }
  class ThemeColor {
    constructor(readonly id: string) {}
  }
  return {
    EventEmitter,
    TreeItem,
    MarkdownString,
    ThemeIcon,
    ThemeColor,
    TreeItemCollapsibleState: { None: 0, Collapsed: 1, Expanded: 2 },
    Uri: { file: (p: string) => ({ fsPath: p, scheme: "file" }) },
  };
}

async function main(): Promise<void> {
  console.log(`Tree benchmark, Node ${process.version}, ${os.cpus().length} CPUs, load average ${load()}\n`);
  const stub = vscodeStub();
  const loader = Module as unknown as { _load: (r: string, p: unknown, m: boolean) => unknown };
  const original = loader._load;
  loader._load = (request: string, parent: unknown, isMain: boolean) =>
    request === "vscode" ? stub : original(request, parent, isMain);
  const { ExperimentsTree } = await import("../../client/src/vscode/tree-provider");

  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "expman-bench-tree-"));
  const sweepDb = path.join(tmp, "sweep.db");
  const seedsDb = path.join(tmp, "seeds.db");
  let t = now();
  writeBigExperiment(sweepDb, { trials: 10_000, repeats: 1, epochs: 2 });
  writeBigExperiment(seedsDb, { trials: 1, repeats: 10_000, epochs: 2 });
  console.log(
    `(stores written in ${f(now() - t)}: ${(fs.statSync(sweepDb).size / 1e6).toFixed(1)} MB and ${(fs.statSync(seedsDb).size / 1e6).toFixed(1)} MB)\n`,
  );

  const client = new QueryClient({ node: process.execPath, runtime });
  const provider = (db: string) =>
    new ExperimentsTree(
      {
        request: client.request.bind(client),
        live: new LiveRuns(),
        workspaceRoots: [],
        preparing: new Map(),
        runs: { active: () => [] },
      } as unknown as ConstructorParameters<typeof ExperimentsTree>[0],
      { list: async () => [db] } as unknown as ConstructorParameters<typeof ExperimentsTree>[1],
    );
  /** Expand: children from the provider, each turned into its tree item (what the view renders). */
  const servePid = () => (client as unknown as { child?: { pid?: number } }).child?.pid;
  const expand = async (tree: InstanceType<typeof ExperimentsTree>, node: TreeNode) => {
    const serve0 = cpuMs(servePid());
    const self0 = cpuMs(process.pid, false);
    const t0 = now();
    const children = await tree.getChildren(node);
    for (const c of children) tree.getTreeItem(c);
    const ms = now() - t0;
    const serve1 = cpuMs(servePid());
    const self1 = cpuMs(process.pid, false);
    const cpu =
      serve0 !== undefined && serve1 !== undefined && self0 !== undefined && self1 !== undefined
        ? `CPU: query service and its reader ${f(serve1 - serve0)}, provider ${f(self1 - self0)}`
        : "CPU: not measurable here";
    return { ms, children, cpu };
  };

  try {
    console.log("1. A sweep of 10,000 trials x 1 run, expand the experiment (200 trials best first)");
    const tree = provider(sweepDb);
    t = now();
    const [exp] = await tree.getChildren();
    console.log(`   roots, cold (starts expman serve, opens the file): ${f(now() - t)}`);
    const cold = await expand(tree, exp);
    const items = cold.children.length;
    const warm: number[] = [];
    for (let i = 0; i < 5; i++) warm.push((await expand(tree, exp)).ms);
    const written: number[] = [];
    let writtenCpu = "";
    for (let i = 0; i < 3; i++) {
      // Another connection commits: the service works the order out again.
      const w = new Database(sweepDb);
      w.prepare("UPDATE experiment SET desc = ? WHERE id = 1").run(`bench ${i}`);
      w.close();
      const r = await expand(tree, exp);
      written.push(r.ms);
      writtenCpu = r.cpu;
    }
    console.log(`   cold (first expand):                     ${f(cold.ms)}   (${items} rows)   target < 300 ms`);
    console.log(`     its ${cold.cpu}`);
    console.log(`   warm, nothing written (median of 5):     ${f(median(warm))}`);
    console.log(`   warm after a write (median of 3):        ${f(median(written))}`);
    console.log(`     the last one's ${writtenCpu}`);
    const more = cold.children.find((c) => c.kind === "more");
    if (more) {
      t = now();
      tree.showMore(more);
      const page = await expand(tree, exp);
      console.log(`   Show 200 more (400 rows):                ${f(now() - t)}   (${page.children.length} rows)`);
    }

    console.log("\n2. One trial of 10,000 runs, expand the trial (200 runs)");
    const seeds = provider(seedsDb);
    const [seedsExp] = await seeds.getChildren();
    const [trial] = (await expand(seeds, seedsExp)).children;
    const runsCold = await expand(seeds, trial);
    const runsWarm: number[] = [];
    for (let i = 0; i < 5; i++) runsWarm.push((await expand(seeds, trial)).ms);
    console.log(`   cold (first expand):                     ${f(runsCold.ms)}   (${runsCold.children.length} rows)`);
    console.log(`   warm (median of 5):                      ${f(median(runsWarm))}`);
  } finally {
    client.dispose();
    loader._load = original;
    fs.rmSync(tmp, { recursive: true, force: true });
  }
  console.log(`\nload average at the end ${load()}`);
}

void main().catch((e) => {
  console.error(e);
  process.exit(1);
});
