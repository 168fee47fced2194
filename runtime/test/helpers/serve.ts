import { spawn, type ChildProcessWithoutNullStreams } from "node:child_process";
import * as readline from "node:readline";
import { Level, Metric } from "../../src/common/enums";
import type { QueryMethod, QueryMethods } from "../../src/results/contract";
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

/** One JSON-RPC answer of `expman serve`: its result (typed from the method table) or an error. */
export interface Reply<R = unknown> {
  id: number;
  result?: R;
  error?: { code: number; message: string; data?: unknown };
}
type ResultOf<M extends string> = M extends QueryMethod ? QueryMethods[M]["result"] : unknown;

/** A running `expman serve` and a typed way to ask it (any method name, any params: tests send wrong ones). */
export function serve(args: string[] = []) {
  const child = spawn(process.execPath, [EXPMAN, "serve", ...args], { cwd: REPO }) as ChildProcessWithoutNullStreams;
  const waiting = new Map<number, (m: Reply) => void>();
  readline.createInterface({ input: child.stdout }).on("line", (line) => {
    const m = JSON.parse(line) as Reply | Reply[];
    for (const one of Array.isArray(m) ? m : [m]) waiting.get(one.id)?.(one);
  });
  let next = 1;
  const ask = <M extends string>(method: M, params: object): Promise<Reply<ResultOf<M>>> => {
    const id = next++;
    return new Promise((resolve) => {
      waiting.set(id, resolve as (m: Reply) => void);
      child.stdin.write(`${JSON.stringify({ jsonrpc: "2.0", id, method, params })}\n`);
    });
  };
  const raw = (text: string, ids: number[]): Promise<Reply[]> =>
    new Promise((resolve) => {
      const got: Reply[] = [];
      for (const id of ids)
        waiting.set(id, (m) => {
          got.push(m);
          if (got.length === ids.length) resolve(got);
        });
      child.stdin.write(`${text}\n`);
    });
  return { child, ask, raw, stop: () => child.stdin.end() };
}
