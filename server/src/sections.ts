/**
 * What a place in a config file means: which keys it takes (with their docs) and, for a
 * `type:` value, which kind of registered type. Completion and hover share this; the keys and
 * docs come from the runtime (`@expman/runtime/contracts`), never copied.
 */
import {
  CALLBACK_ENTRY_KEYS,
  ENV_KEYS,
  EXPERIMENT_KEYS,
  PIPELINE_KEYS,
  SETTINGS_KEYS,
  SLURM_KEYS,
  SWEEP_DISTRIBUTION_KEYS,
  SWEEP_KEYS,
  TRACKER_ENTRY_KEYS,
  TRIAL_KEYS,
  type ConfigRole,
  type ParamsSchema,
  type RegistryKind,
  type IndexedType,
  type WorkspaceIndex,
} from "@expman/runtime/contracts";
import { LIST_ITEM } from "./yaml-context";

export type SectionName =
  | "env"
  | "experiment"
  | "trials-root"
  | "trial"
  | "settings"
  | "pipeline"
  | "tracker-entry"
  | "callback-entry"
  | "tracker-list"
  | "callback-list"
  | "slurm"
  | "sweep"
  | "sweep-params"
  | "sweep-distribution"
  | "free";

export interface Section {
  name: SectionName;
  keys: ParamsSchema;
  /** For entries with a `type:`: which kind of type, and the chosen type when known. */
  typeKind?: RegistryKind;
  type?: IndexedType;
  /** The pipeline in effect here (for metric names it declares). */
  pipeline?: IndexedType;
}

export interface SectionInput {
  role: ConfigRole;
  path: string[];
  siblings: Map<string, string>;
  index: WorkspaceIndex;
  /** The pipeline type of base.yaml, used in trials that do not set their own. */
  basePipelineType?: string;
  /** The pipeline type written elsewhere in the same trial / file (for callbacks). */
  enclosingPipelineType?: string;
}

function scalar(v: string | undefined): string | undefined {
  if (v === undefined) return undefined;
  const t = v.trim().replace(/^["']|["']$/g, "");
  return t === "" ? undefined : t;
}

export function sectionAt(input: SectionInput): Section {
  const { role, path, siblings, index } = input;
  const pipelineType = scalar(input.enclosingPipelineType) ?? scalar(input.basePipelineType);
  const pipeline = pipelineType ? index.find("pipeline", pipelineType) : undefined;
  const settingsPath =
    role === "base"
      ? path
      : role === "trials" && path[0] === LIST_ITEM && path[1] === "settings"
        ? path.slice(2)
        : undefined;
  if (role === "env") {
    if (path.length === 0) return { name: "env", keys: ENV_KEYS };
    if (path.length === 1 && path[0] === "trackers") return { name: "tracker-list", keys: {}, typeKind: "tracker" };
    if (path.length === 2 && path[0] === "trackers" && path[1] === LIST_ITEM)
      return entrySection("tracker-entry", "tracker", TRACKER_ENTRY_KEYS, siblings, index);
    if (path.length === 1 && path[0] === "slurm") return { name: "slurm", keys: SLURM_KEYS };
    return { name: "free", keys: {} };
  }
  if (role === "experiment")
    return path.length === 0 ? { name: "experiment", keys: EXPERIMENT_KEYS } : { name: "free", keys: {} };
  if (role === "trials" && path.length === 0) return { name: "trials-root", keys: {} };
  if (role === "trials" && path.length === 1 && path[0] === LIST_ITEM) return { name: "trial", keys: TRIAL_KEYS };
  if (role === "trials" && path[0] === LIST_ITEM && path[1] === "sweep") {
    // `sweep:` > `params:` > `<settings path>:` > `{ loguniform: [...] }` (features/sweep.ts).
    if (path.length === 2) return { name: "sweep", keys: SWEEP_KEYS, pipeline };
    if (path.length === 3 && path[2] === "params") return { name: "sweep-params", keys: {}, pipeline };
    if (path.length === 4 && path[2] === "params") return { name: "sweep-distribution", keys: SWEEP_DISTRIBUTION_KEYS };
    return { name: "free", keys: {} };
  }
  if (settingsPath) {
    if (settingsPath.length === 0) return { name: "settings", keys: SETTINGS_KEYS, pipeline };
    if (settingsPath.length === 1 && settingsPath[0] === "pipeline") {
      const own = scalar(siblings.get("type"));
      const type = own ? index.find("pipeline", own) : pipeline;
      return {
        name: "pipeline",
        keys: { ...(type?.params ?? {}), ...PIPELINE_KEYS },
        typeKind: "pipeline",
        type,
        pipeline: type,
      };
    }
    if (settingsPath.length === 2 && settingsPath[0] === "pipeline" && settingsPath[1] === "callbacks")
      return { name: "callback-list", keys: {}, typeKind: "callback", pipeline };
    if (
      settingsPath.length === 3 &&
      settingsPath[0] === "pipeline" &&
      settingsPath[1] === "callbacks" &&
      settingsPath[2] === LIST_ITEM
    ) {
      return { ...entrySection("callback-entry", "callback", CALLBACK_ENTRY_KEYS, siblings, index), pipeline };
    }
  }
  return { name: "free", keys: {} };
}

function entrySection(
  name: SectionName,
  kind: RegistryKind,
  base: ParamsSchema,
  siblings: Map<string, string>,
  index: WorkspaceIndex,
): Section {
  const typeName = scalar(siblings.get("type"));
  const type = typeName ? index.find(kind, typeName) : undefined;
  return { name, keys: { ...base, ...(type?.params ?? {}) }, typeKind: kind, type };
}
