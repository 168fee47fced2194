import * as path from "node:path";
import { ProductPaths, type Level } from "../common/enums";
import type { RegistryKind } from "../registry/schema";
import type { Environment } from "../env/environment";
import type { ArtifactInfo, CheckpointInfo, LevelInfo, LifecycleContext, MetricPoint, TrackerLike } from "./types";

/**
 * Base class for trackers. Every method is a no-op, so a tracker overrides only the events it
 * cares about. As in the original, a tracker's working folder is `<env workspace>/artifacts`.
 *
 * Subclasses registered with `@register("Name")` are built from env.yaml through
 * `static fromConfig(config, workspace, env)`.
 */
export abstract class Tracker implements TrackerLike {
  static readonly registryKind: RegistryKind = "tracker";
  readonly workspace: string;

  constructor(workspace: string) {
    this.workspace = artifactsDirOf(workspace);
  }

  track(_point: MetricPoint): void {}
  onCreate(_level: Level, _info: LevelInfo, _ctx: LifecycleContext): void {}
  onStart(_level: Level, _info: LevelInfo, _ctx: LifecycleContext): void {}
  onEnd(_level: Level, _info: LevelInfo, _ctx: LifecycleContext): void {}
  logParams(_params: Record<string, unknown>, _ctx: LifecycleContext): void {}
  onCheckpoint(_checkpoint: CheckpointInfo, _ctx: LifecycleContext): void {}
  onAddArtifact(_level: Level, _artifact: ArtifactInfo, _ctx: LifecycleContext): void {}
  onRunWarning(_message: string, _ctx: LifecycleContext): void {}
  abstract createChild(workspace: string): TrackerLike;
  flush(): void | Promise<void> {}
  close(): void | Promise<void> {}
  save(): void | Promise<void> {
    return this.flush();
  }
}

/** `<ws>/artifacts`, unless the path already ends in `artifacts` (the original's rule). */
export function artifactsDirOf(workspace: string): string {
  const abs = path.resolve(workspace);
  return path.basename(abs) === ProductPaths.ARTIFACT_DIR ? abs : path.join(abs, ProductPaths.ARTIFACT_DIR);
}

/**
 * Closes every child even when some fail, then rethrows the first failure: one broken child
 * (an unwritable folder) must not leave its siblings' files unflushed.
 */
export function closeAll(children: Iterable<{ close(): unknown }>): unknown {
  let first: unknown;
  for (const child of children) {
    try {
      child.close();
    } catch (error) {
      first ??= error;
    }
  }
  return first;
}

/** How a registered tracker class is built from its env.yaml entry. */
export interface TrackerClass {
  new (workspace: string, config: Record<string, unknown>): TrackerLike;
  fromConfig(config: Record<string, unknown>, workspace: string, env?: Environment): TrackerLike;
}
