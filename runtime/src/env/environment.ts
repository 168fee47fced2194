import { childPath } from "../common/names";
import * as fs from "node:fs";
import * as path from "node:path";
import { stringify } from "yaml";
import { Level, LOG_NAME, ProductPaths } from "../common/enums";
import { SeededRandom } from "../common/random";
import { deepClone, isPlainObject, standardMerge } from "../config/merge";
import { TrackerManager } from "../tracking/tracker-manager";
import { Logger, fileStamp } from "./logger";

export interface EnvironmentOptions {
  verbose?: boolean;
  debug?: boolean;
  device?: string;
  args?: Record<string, unknown>;
  trackerManager?: TrackerManager;
  level?: Level;
  seed?: number;
  /** The folder holding the config files, for resolving relative paths. */
  configDir?: string;
  /** Aborted when the experiment is asked to stop (SIGINT); checked at epoch and batch starts. */
  abortSignal?: AbortSignal;
}

/**
 * Everything a pipeline needs around it: its workspace folder, logger, trackers, args, device
 * and seed. Layout as in the original: `<ws>/{logs,configs,artifacts}`, with a child
 * environment per trial (`<ws>/<trial>`) and per run (`<ws>/<trial>/<trial>-<i>`).
 */
export class Environment {
  /** Changes only through `setWorkspace`. */
  workspace: string;
  readonly config: Record<string, unknown>;
  readonly verbose: boolean;
  readonly debug: boolean;
  readonly device: string;
  args: Record<string, unknown>;
  readonly logger: Logger;
  readonly trackerManager: TrackerManager;
  readonly level: Level;
  readonly configDir?: string;
  /** Seed of this run (`settings.seed + repeat`), and a generator seeded with it. */
  seed: number;
  rng: SeededRandom;
  readonly abortSignal?: AbortSignal;

  constructor(workspace: string, config: Record<string, unknown> = {}, options: EnvironmentOptions = {}) {
    this.workspace = path.resolve(workspace);
    fs.mkdirSync(this.workspace, { recursive: true });
    this.config = config;
    this.verbose = options.verbose ?? false;
    this.debug = options.debug ?? false;
    this.device = options.device ?? "cpu";
    this.args = { ...(options.args ?? {}) };
    this.level = options.level ?? Level.EXPERIMENT;
    this.configDir = options.configDir;
    this.abortSignal = options.abortSignal;
    this.seed = options.seed ?? 0;
    this.rng = new SeededRandom(this.seed);
    this.logger = new Logger(this.logDir, `${LOG_NAME}-${fileStamp(new Date())}`, {
      debug: this.debug,
      console: this.verbose,
    });
    this.trackerManager = options.trackerManager ?? TrackerManager.fromConfig(config, this.workspace, this);
    this.trackerManager.report = (m) => this.logger.error(m);
    this.logger.info(`Using device: ${this.device}`);
    this.saveConfig(ProductPaths.CONFIG_FILE, this.config);
  }

  /** Reads `verbose`, `debug`, `device`, `args` and `workspace` from an env.yaml object. */
  static fromConfig(
    config: Record<string, unknown>,
    options: {
      configDir?: string;
      workspace?: string;
      abortSignal?: AbortSignal;
      trackerManager?: TrackerManager;
    } = {},
  ): Environment {
    const workspace = options.workspace ?? resolveWorkspace(config.workspace, options.configDir);
    return new Environment(workspace, config, {
      verbose: config.verbose === true,
      debug: config.debug === true,
      device: typeof config.device === "string" ? config.device : "cpu",
      args: isPlainObject(config.args) ? config.args : {},
      configDir: options.configDir,
      abortSignal: options.abortSignal,
      trackerManager: options.trackerManager,
    });
  }

  get logDir(): string {
    return ensureDir(path.join(this.workspace, ProductPaths.LOG_DIR));
  }
  get artifactDir(): string {
    return ensureDir(path.join(this.workspace, ProductPaths.ARTIFACT_DIR));
  }
  get configDirOut(): string {
    return ensureDir(path.join(this.workspace, ProductPaths.CONFIG_DIR));
  }

  /** A child environment at `<ws>/<name>`, with child trackers; `args` are merged over ours. */
  createChild(
    name: string,
    options: { args?: Record<string, unknown>; level?: Level; seed?: number; abortSignal?: AbortSignal } = {},
  ): Environment {
    const childWs = childPath(this.workspace, name, "trial or run name");
    const child = new Environment(childWs, this.config, {
      verbose: this.verbose,
      debug: this.debug,
      device: this.device,
      // A trial's `args` merge over ours as the original's OmegaConf.merge does.
      args: options.args ? standardMerge(deepClone(this.args), options.args) : { ...this.args },
      trackerManager: this.trackerManager.createChild(childWs),
      level: options.level ?? this.level + 1,
      seed: options.seed ?? this.seed,
      configDir: this.configDir,
      // A run's own signal (Stop Run) also fires when the experiment's does (run-stops.ts).
      abortSignal: options.abortSignal ?? this.abortSignal,
    });
    return child;
  }

  /**
   * The original's `set_workspace(new, inner=False)`: switches this environment to `newWorkspace`
   * (absolute, or relative to the current workspace when `inner`), creates its logs/, artifacts/
   * and configs/ folders, moves the log file there and saves env.yaml. As in the original, the
   * trackers stay where they were created.
   */
  setWorkspace(newWorkspace: string, inner = false): void {
    this.workspace = inner ? path.resolve(this.workspace, newWorkspace) : path.resolve(newWorkspace);
    fs.mkdirSync(this.workspace, { recursive: true });
    void this.artifactDir;
    this.logger.setLogDir(this.logDir);
    this.saveConfig(ProductPaths.CONFIG_FILE, this.config);
  }

  /** The original's spelling. */
  set_workspace(newWorkspace: string, inner = false): void {
    this.setWorkspace(newWorkspace, inner);
  }

  /** Writes a config object as YAML under `<ws>/configs/`. */
  saveConfig(fileName: string, value: unknown): string {
    const file = path.join(this.configDirOut, fileName);
    fs.writeFileSync(file, stringify(value ?? {}, { aliasDuplicateObjects: false }));
    return file;
  }

  close(): void {
    this.logger.close();
  }
}

function ensureDir(dir: string): string {
  fs.mkdirSync(dir, { recursive: true });
  return dir;
}

/** The workspace path of env.yaml: relative to the config folder; `''` means that folder. */
export function resolveWorkspace(value: unknown, configDir?: string): string {
  const base = configDir ?? process.cwd();
  if (typeof value !== "string") return base;
  return path.resolve(base, value);
}
