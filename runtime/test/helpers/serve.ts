import { spawn, type ChildProcessWithoutNullStreams } from "node:child_process";
import * as readline from "node:readline";
import { Level, Metric } from "../../src/common/enums";
import { EXPMAN, REPO } from "./cli";
import { dbRun } from "./db";

/** A healthy database with one run and a few points. */
export async function healthy(name: string): Promise<string> {
  const { root, tracker, run } = dbRun(name);
  run.onCreate(Level.EPOCH, 0);
  run.track(Metric.TRAIN_LOSS, 0.5);
  run.onEnd(Level.EPOCH);
  run.onEnd(Level.TRIAL_RUN);
  await root.close();
  return tracker.path;
}

/** A running `expman serve` and a typed way to ask it. */
export function serve(args: string[] = []) {
  const child = spawn(process.execPath, [EXPMAN, "serve", ...args], { cwd: REPO }) as ChildProcessWithoutNullStreams;
  const waiting = new Map<number, (m: any) => void>();
  readline.createInterface({ input: child.stdout }).on("line", (line) => {
    const m = JSON.parse(line);
    for (const one of Array.isArray(m) ? m : [m]) waiting.get(one.id)?.(one);
  });
  let next = 1;
  const ask = (method: string, params: object): Promise<any> => {
    const id = next++;
    return new Promise((resolve) => {
      waiting.set(id, resolve);
      child.stdin.write(`${JSON.stringify({ jsonrpc: "2.0", id, method, params })}\n`);
    });
  };
  const raw = (text: string, ids: number[]): Promise<any[]> =>
    new Promise((resolve) => {
      const got: any[] = [];
      for (const id of ids)
        waiting.set(id, (m) => {
          got.push(m);
          if (got.length === ids.length) resolve(got);
        });
      child.stdin.write(`${text}\n`);
    });
  return { child, ask, raw, stop: () => child.stdin.end() };
}
