/**
 * "New Experiment": the files of a first experiment, named by the user: a TypeScript pipeline
 * that trains a tiny linear model on made-up data (so the first Run draws real curves in
 * seconds) and the four config files that run it, tracked to a SQLite database the
 * Experiments view shows. No `vscode`: the command writes what this returns.
 */
import * as fs from "node:fs";
import * as path from "node:path";

export interface ScaffoldFile {
  /** Relative to the project folder, `/`-separated. */
  path: string;
  text: string;
}

/** Why a name cannot be used (as a folder, a trial workspace and a class name), or undefined. */
export function checkExperimentName(name: string): string | undefined {
  if (!/^[A-Za-z][A-Za-z0-9_-]{0,59}$/.test(name))
    return "Use a letter first, then letters, digits, '-' or '_' (at most 60): it names a folder and a class.";
  return undefined;
}

/** `my-first_exp` -> `MyFirstExp`. */
export function className(name: string): string {
  return name
    .split(/[-_]+/)
    .filter(Boolean)
    .map((w) => w[0].toUpperCase() + w.slice(1))
    .join("");
}

export function scaffoldFiles(name: string): ScaffoldFile[] {
  const cls = `${className(name)}Pipeline`;
  const pipelineFile = `pipelines/${name}.ts`;
  return [
    {
      path: pipelineFile,
      text: `// The pipeline of '${name}', created by "Experiment Manager: New Experiment".
// It fits y = 3x + 1 with gradient descent on made-up data: replace the data and the model with
// yours, keep the shape (run -> runEpoch, metrics put in epochMetrics / runMetrics).
import { Metric, Pipeline, RunStatus, register, type Environment, type ParamsSchema } from "@expman/runtime";

/** The model: what a checkpoint saves (plain fields are saved as JSON). */
class LinearModel {
  w = 0;
  b = 0;
}

@register("${cls}")
export class ${cls} extends Pipeline {
  // Options under pipeline: in base.yaml / trials.yaml; the editor completes and checks them.
  static params: ParamsSchema = {
    epochs: { type: "integer", default: 20, minimum: 1, description: "Passes over the data." },
    lr: { type: "number", default: 0.05, minimum: 0, description: "Learning rate." },
    samples: { type: "integer", default: 64, minimum: 2, description: "Made-up data points." },
  };

  private model = new LinearModel();
  private data: { x: number; y: number }[] = [];
  private lr = 0.05;

  static override fromConfig(_config: Record<string, any>, env: Environment): ${cls} {
    return new ${cls}(env);
  }

  @Pipeline.runWrapper
  async run(config: Record<string, any>) {
    const p = config.pipeline ?? {};
    const epochs: number = p.epochs ?? 20;
    this.lr = p.lr ?? 0.05;
    const n: number = p.samples ?? 64;
    // env.rng is seeded per run (settings.seed + repeat): repeats differ, reruns do not.
    this.data = Array.from({ length: n }, () => {
      const x = this.env.rng.random() * 2 - 1;
      return { x, y: 3 * x + 1 + (this.env.rng.random() - 0.5) * 0.2 };
    });
    for (let e = 0; e < epochs; e++) {
      await this.runEpoch(e);
      if (this.stopRequested) break;
    }
    this.runMetrics[Metric.TEST_LOSS] = this.loss();
    return { status: "completed" };
  }

  @Pipeline.epochWrapper
  async runEpoch(_epochIdx: number) {
    let gw = 0;
    let gb = 0;
    for (const { x, y } of this.data) {
      const err = this.model.w * x + this.model.b - y;
      gw += (2 * err * x) / this.data.length;
      gb += (2 * err) / this.data.length;
    }
    this.model.w -= this.lr * gw;
    this.model.b -= this.lr * gb;
    this.epochMetrics[Metric.TRAIN_LOSS] = this.loss();
    this.epochMetrics[Metric.NETWORK] = this.model;
    return RunStatus.SUCCESS;
  }

  private loss(): number {
    return this.data.reduce((s, { x, y }) => s + (this.model.w * x + this.model.b - y) ** 2, 0) / this.data.length;
  }
}
`,
    },
    {
      path: `configs/${name}/env.yaml`,
      text: `# Where runs go, which modules register the pipeline, and what tracks them.
workspace: ../../runs/${name}
imports:
  - ../../${pipelineFile}
trackers:
  - type: LogTracker
  - type: DBTracker
    name: experiment.db
`,
    },
    {
      path: `configs/${name}/experiment.yaml`,
      text: `name: ${name}
desc: My first experiment.
`,
    },
    {
      path: `configs/${name}/base.yaml`,
      text: `# Settings every trial starts from.
seed: 1
pipeline:
  type: ${cls}
  epochs: 20
  lr: 0.05
  callbacks:
    - type: CheckpointCallback
      interval: 5
`,
    },
    {
      path: `configs/${name}/trials.yaml`,
      text: `# Each trial merges its settings over base.yaml and runs 'repeat' times (seed + repeat).
- name: small_lr
  repeat: 2
  settings:
    pipeline:
      lr: 0.05
- name: big_lr
  repeat: 1
  settings:
    pipeline:
      lr: 0.3
`,
    },
  ];
}

/** Writes the files under `project`; refuses (writing nothing) when any of them exists. */
export function writeScaffold(project: string, name: string): { written: string[] } | { error: string } {
  const bad = checkExperimentName(name);
  if (bad) return { error: bad };
  const files = scaffoldFiles(name);
  const existing = files.map((f) => path.join(project, f.path)).filter((f) => fs.existsSync(f));
  if (existing.length)
    return {
      error: `Not created: ${existing.map((f) => path.relative(project, f)).join(", ")} already exist${existing.length === 1 ? "s" : ""}. Pick another name.`,
    };
  const written: string[] = [];
  for (const f of files) {
    const file = path.join(project, f.path);
    fs.mkdirSync(path.dirname(file), { recursive: true });
    fs.writeFileSync(file, f.text, { flag: "wx" });
    written.push(file);
  }
  return { written };
}
