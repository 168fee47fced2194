import { runCommand } from "./commands/run";
import { validateCommand } from "./commands/validate";
import { registryCommand } from "./commands/registry";
import { UsageError } from "./args";

const USAGE = `expman: run and track machine-learning experiments.

Usage: expman <command> [options]

Commands:
  run <config-dir>        run an experiment (trials and repeats), tracking to the workspace
  validate <config-dir>   check the config files; problems as file:line:col
  ls                      list runs of a workspace's database
  show <run>              one run: status, params, metrics, epochs, checkpoints, error
  export <run>            a run's metric series as CSV or JSON
  db copy <from> <to>     copy experiments between stores (SQLite file, PostgreSQL URL)
  note <run> [text]       set (or print) a run's note
  tag <run> [tags]        add tags to a run (--remove, --set), or print them
  registry                list registered pipelines, trackers and callbacks (--json)
  serve                   query service for the editor: JSON-RPC over stdio
  version                 the runtime's and its protocols' versions (--json)

Run 'expman <command> --help' for a command's options.`;

type Command = (argv: string[]) => Promise<number>;

const COMMANDS: Record<string, () => Command> = {
  run: () => runCommand,
  validate: () => validateCommand,
  registry: () => registryCommand,
  ls: () => require("./commands/ls").lsCommand,
  show: () => require("./commands/show").showCommand,
  export: () => require("./commands/export").exportCommand,
  db: () => require("./commands/db").dbCommand,
  note: () => require("./commands/note").noteCommand,
  tag: () => require("./commands/note").tagCommand,
  serve: () => require("./commands/serve").serveCommand,
  version: () => require("./commands/version").versionCommand,
  // Internal (not in the usage above): one planned run, started by 'run --jobs' or Slurm.
  worker: () => require("./commands/worker").workerCommand,
};

export async function main(argv: string[]): Promise<number> {
  const [name, ...rest] = argv;
  if (!name || name === "--help" || name === "-h" || name === "help") {
    process.stdout.write(`${USAGE}\n`);
    return name ? 0 : 2;
  }
  if (name === "--version" || name === "-v") {
    process.stdout.write(`${require("../../package.json").version}\n`);
    return 0;
  }
  const command = COMMANDS[name];
  if (!command) {
    process.stderr.write(`expman: unknown command '${name}'.\n\n${USAGE}\n`);
    return 2;
  }
  try {
    return await command()(rest);
  } catch (error) {
    if (error instanceof UsageError) {
      process.stderr.write(`expman ${name}: ${error.message}\n\n${error.usage}\n`);
      return 2;
    }
    const e = error as Error;
    process.stderr.write(`expman ${name}: ${e?.message ?? String(error)}\n`);
    if (process.env.EXPMAN_DEBUG) process.stderr.write(`${e?.stack ?? ""}\n`);
    return 1;
  }
}
