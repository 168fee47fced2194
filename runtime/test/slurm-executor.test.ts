import { test } from "node:test";
import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import { spawnSync } from "node:child_process";
import { EXPMAN, toyConfig } from "./helpers/cli";
import { tempDir } from "./helpers/env";
import { arraySpec, sbatchArgs, slurmOptionsOf, slurmTimeProblem } from "../src/executors/slurm-options";
import { endedTaskStatus, parseSacct, parseScontrol, parseSqueue } from "../src/executors/slurm-cluster";
import { validateConfigSet } from "../src/config/validate";
import { getRegistry } from "../src/registry/registry";
import { registerBuiltins } from "../src/builtins/register-builtins";

// The Slurm executor's pure parts (issue 10.2): the sbatch command line from env.yaml, the
// parsing of squeue/scontrol/sacct, the mapping of Slurm's final states, the config checks,
// and the refusal without Slurm's commands. The real cluster tests are in test/slurm/
// (npm run test:slurm, part of npm run test:all).

test("--array names the plan indices (ranges where consecutive) and caps tasks at once with %N", () => {
  assert.equal(arraySpec([0, 1, 2, 3, 4, 5, 6, 7]), "0-7");
  assert.equal(arraySpec([5, 0, 2, 6, 7, 9]), "0,2,5-7,9");
  assert.equal(arraySpec([3], 2), "3%2");
  assert.throws(() => arraySpec([]), /no runs/);
});

test("sbatch arguments: one per option, the user's sbatch_args after ours, then the script and the worker command", () => {
  const options = slurmOptionsOf({
    slurm: {
      partition: "gpu",
      time: 30,
      cpus_per_run: 4,
      gpus_per_run: 1,
      account: "lab",
      max_concurrent: 3,
      sbatch_args: ["--mem=4G", "--comment=a b; rm -rf /"],
    },
  });
  const args = sbatchArgs(options, {
    jobName: "expman:my exp",
    indices: [0, 1, 2],
    output: "/ws/slurm/%A_%a.out",
    script: "/rt/bin/slurm-task.sh",
    command: ["/usr/bin/node", "/rt/bin/expman.js", "worker", "/cfg dir", "--experiment", "u"],
  });
  assert.deepEqual(args, [
    "--parsable",
    "--job-name=expman:my exp",
    "--array=0-2%3",
    "--output=/ws/slurm/%A_%a.out",
    "--partition=gpu",
    "--time=30",
    "--cpus-per-task=4",
    "--gpus-per-task=1",
    "--account=lab",
    "--mem=4G",
    "--comment=a b; rm -rf /",
    "/rt/bin/slurm-task.sh",
    "/usr/bin/node",
    "/rt/bin/expman.js",
    "worker",
    "/cfg dir",
    "--experiment",
    "u",
  ]);
  // No GPUs asked: no --gpus-per-task (a cluster without GPUs would refuse it).
  assert.ok(
    !sbatchArgs(slurmOptionsOf({ slurm: { gpus_per_run: 0 } }), {
      jobName: "j",
      indices: [0],
      output: "o",
      script: "s",
      command: [],
    }).some((a) => a.startsWith("--gpus")),
  );
});

test("Slurm time limits: its formats pass, anything else is named", () => {
  for (const ok of ["30", "0:30", "1:30:00", "2-00", "2-00:30", "2-00:30:00", "infinite", 45])
    assert.equal(slurmTimeProblem(ok), undefined, String(ok));
  for (const bad of ["30m", "1h", "", "1:2:3:4", -5, 1.5, true])
    assert.match(slurmTimeProblem(bad) ?? "", /Slurm time limit/, String(bad));
});

test("squeue, scontrol and sacct output is read task by task; a pending remainder range is left to squeue", () => {
  assert.deepEqual(parseSqueue("12_3|PENDING|JobArrayTaskLimit|1:00\n12_0|RUNNING|None|1:00\n\ngarbage\n"), [
    { task: "12_3", state: "PENDING", reason: "JobArrayTaskLimit", timeLimit: "1:00" },
    { task: "12_0", state: "RUNNING", reason: undefined, timeLimit: "1:00" },
  ]);
  const scontrol =
    "JobId=13 ArrayJobId=12 ArrayTaskId=1 JobName=x JobState=TIMEOUT Reason=TimeLimit Dependency=(null) ExitCode=0:15 TimeLimit=00:01:00\n" +
    "JobId=12 ArrayJobId=12 ArrayTaskId=4-7%2 JobState=PENDING Reason=JobArrayTaskLimit ExitCode=0:0\n";
  assert.deepEqual(parseScontrol(scontrol), [
    { task: "12_1", state: "TIMEOUT", reason: "TimeLimit", exitCode: "0:15", timeLimit: "00:01:00" },
  ]);
  assert.deepEqual(parseSacct("12_2|CANCELLED by 0|0:15\n12_3|OUT_OF_MEMORY|0:125\n12|COMPLETED|0:0\n"), [
    { task: "12_2", state: "CANCELLED", exitCode: "0:15" },
    { task: "12_3", state: "OUT_OF_MEMORY", exitCode: "0:125" },
  ]);
});

test("Slurm's final states map to FAILED/ABORTED with the reason first; waiting or running tasks are not ended", () => {
  const end = (state: string) => endedTaskStatus({ task: "1_0", state, timeLimit: "00:01:00" });
  assert.equal(end("PENDING"), undefined);
  assert.equal(end("RUNNING"), undefined);
  assert.equal(end("COMPLETING"), undefined);
  assert.equal(end("TIMEOUT")?.status, "FAILED");
  assert.match(end("TIMEOUT")!.message, /^TIMEOUT: .*00:01:00/);
  assert.equal(end("OUT_OF_MEMORY")?.status, "FAILED");
  assert.match(end("OUT_OF_MEMORY")!.message, /^OUT_OF_MEMORY/);
  assert.equal(end("NODE_FAIL")?.status, "FAILED");
  assert.match(end("NODE_FAIL")!.message, /^NODE_FAIL/);
  assert.equal(end("CANCELLED")?.status, "ABORTED");
  assert.match(end("CANCELLED")!.message, /^CANCELLED/);
  assert.equal(end("PREEMPTED")?.status, "ABORTED");
  assert.equal(end("FAILED")?.status, "FAILED");
  assert.equal(end("COMPLETED")?.status, "FAILED", "a task that exited without ending its run did not succeed");
});

test("env.yaml: executor and slurm options are validated with positions; unknown slurm keys warn with a suggestion", () => {
  registerBuiltins();
  const env = [
    "workspace: ws",
    "executor: slurmm",
    "slurm:",
    "  partion: gpu",
    "  time: 1h",
    "  cpus_per_run: 0",
    "  sbatch_args: [--mem=1G, 3]",
    "",
  ].join("\n");
  const diags = validateConfigSet({ env: { path: "/c/env.yaml", text: env } }, getRegistry().describe(), {
    fileExists: () => true,
  }).filter((d) => d.role === "env");
  const at = (line: number) => diags.filter((d) => d.range.start.line === line);
  assert.match(at(1)[0]?.message ?? "", /one of "local", "slurm"/);
  assert.equal(at(3)[0]?.severity, "warning");
  assert.match(at(3)[0]?.message ?? "", /Did you mean 'partition'/);
  assert.match(at(4)[0]?.message ?? "", /'time' must be a Slurm time limit/);
  assert.match(at(5)[0]?.message ?? "", />= 1|at least 1|minimum/);
  assert.match(at(6)[0]?.message ?? "", /one sbatch argument/);
  const good = validateConfigSet(
    {
      env: {
        path: "/c/env.yaml",
        text: 'workspace: ws\nexecutor: slurm\nslurm:\n  partition: debug\n  time: "0:30"\n  max_concurrent: 2\n  sbatch_args: ["--mem=1G"]\n',
      },
    },
    getRegistry().describe(),
    { fileExists: () => true },
  ).filter((d) => d.role === "env");
  assert.deepEqual(good, []);
});

test("no sbatch on PATH: a clear message naming env.yaml's line, exit 1, and nothing written to the store", () => {
  const c = toyConfig({
    env: "workspace: ../ws\nexecutor: slurm\nimports:\n  - ./toy.js\ntrackers:\n  - type: DBTracker\n    name: experiment.db\n",
  });
  // A PATH with node alone: no sbatch, whatever this machine has installed (node may share /usr/bin with it).
  const bin = tempDir("expman-nopath-");
  fs.symlinkSync(process.execPath, path.join(bin, "node"));
  const env = { ...process.env, PATH: bin };
  const r = spawnSync(process.execPath, [EXPMAN, "run", c.dir], { encoding: "utf8", env });
  assert.equal(r.status, 1, r.stderr);
  assert.match(r.stderr, /env\.yaml:2:1: 'executor: slurm' runs the experiment on Slurm, but 'sbatch' is not on PATH/);
  assert.match(r.stderr, /Nothing was written to the store/);
  assert.ok(!fs.existsSync(c.db), "no database was created");
  assert.ok(!fs.existsSync(path.join(c.workspace, "slurm")), "no task output folder either");

  // The same from the command line, for a config that does not name Slurm.
  const local = toyConfig();
  const flag = spawnSync(process.execPath, [EXPMAN, "run", local.dir, "--executor", "slurm"], {
    encoding: "utf8",
    env,
  });
  assert.equal(flag.status, 1, flag.stderr);
  assert.match(flag.stderr, /--executor slurm runs the experiment on Slurm, but 'sbatch' is not on PATH/);
  assert.ok(!fs.existsSync(local.db));
});

test("Slurm without a DBTracker is a config error at 'executor:' (the tasks need a store); a wrong --executor is a usage error", () => {
  const c = toyConfig({
    env: "workspace: ../ws\nexecutor: slurm\nimports:\n  - ./toy.js\ntrackers:\n  - type: LogTracker\n",
  });
  const r = spawnSync(process.execPath, [EXPMAN, "run", c.dir], { encoding: "utf8" });
  assert.equal(r.status, 2, r.stderr);
  assert.match(r.stderr, /env\.yaml:2:1: error: Running on Slurm needs a DBTracker/);
  const u = spawnSync(process.execPath, [EXPMAN, "run", c.dir, "--executor", "kubernetes"], { encoding: "utf8" });
  assert.equal(u.status, 2);
  assert.match(u.stderr, /--executor must be one of local, slurm/);
});
