/**
 * JSON Schemas (draft-07) of the four config files, generated from the same sources as the
 * server's checks (the runtime's section keys, built-in catalog and Metric enum), for users of
 * the Red Hat YAML extension (`yamlValidation`). They cover built-ins only: workspace types are
 * allowed as any string, and the language server checks them against the scanned registry.
 */
import {
  CALLBACK_ENTRY_KEYS,
  ENV_KEYS,
  SLURM_KEYS,
  EXPERIMENT_KEYS,
  getTrackedMetrics,
  PIPELINE_KEYS,
  SETTINGS_KEYS,
  SWEEP_DISTRIBUTION_NAMES,
  SWEEP_DISTRIBUTIONS,
  SWEEP_KEYS,
  SWEEP_METHODS,
  TRACKER_ENTRY_KEYS,
  TRIAL_KEYS,
  type SweepDistributionName,
  type ConfigRole,
  type ParamSchema,
  type ParamsSchema,
  type RegistryDescription,
  type RegistryKind,
} from "@expman/runtime/contracts";

type JsonSchema = Record<string, unknown>;

function paramSchema(p: ParamSchema): JsonSchema {
  const out: JsonSchema = {};
  switch (p.type) {
    case "string":
      out.type = "string";
      break;
    case "integer":
      out.type = "integer";
      break;
    case "number":
      out.type = "number";
      break;
    case "boolean":
      out.type = "boolean";
      break;
    case "list":
      out.type = "array";
      break;
    case "object":
      out.type = "object";
      break;
    case "metric":
      // Custom metric names are allowed, so tracked names are offered, not enforced.
      out.anyOf = [{ enum: getTrackedMetrics() }, { type: "string" }];
      break;
    case "any":
      break;
  }
  if (p.description) {
    out.description = p.description;
    out.markdownDescription = p.description;
  }
  if (p.default !== undefined) out.default = p.default;
  if (p.enum) out.enum = [...p.enum];
  if (p.minimum !== undefined) out.minimum = p.minimum;
  if (p.maximum !== undefined) out.maximum = p.maximum;
  return out;
}

function properties(
  keys: ParamsSchema,
  skip: readonly string[] = [],
): { properties: Record<string, JsonSchema>; required: string[] } {
  const props: Record<string, JsonSchema> = {};
  const required: string[] = [];
  for (const [k, p] of Object.entries(keys)) {
    if (skip.includes(k)) continue;
    props[k] = paramSchema(p);
    if (p.required) required.push(k);
  }
  return { properties: props, required };
}

/** `{ type, ...options }` with options checked per built-in type (`if type is X then ...`). */
function entrySchema(kind: RegistryKind, registry: RegistryDescription, base: ParamsSchema): JsonSchema {
  const types = registry.types.filter((t) => t.kind === kind);
  return {
    type: "object",
    required: ["type"],
    properties: {
      type: {
        description: base.type.description,
        anyOf: [{ enum: types.map((t) => t.name) }, { type: "string" }],
      },
    },
    allOf: types.map((t) => {
      const { properties: props, required } = properties(t.params ?? {});
      return {
        if: { properties: { type: { const: t.name } }, required: ["type"] },
        then: {
          description: t.description,
          properties: { type: {}, ...props },
          required,
          ...(t.closed ? { additionalProperties: false } : {}),
        },
      };
    }),
  };
}

function settingsSchema(registry: RegistryDescription): JsonSchema {
  const pipeline = properties(PIPELINE_KEYS, ["callbacks"]);
  const settings = properties(SETTINGS_KEYS, ["pipeline"]);
  return {
    type: "object",
    properties: {
      ...settings.properties,
      pipeline: {
        type: ["object", "null"],
        description: SETTINGS_KEYS.pipeline.description,
        properties: {
          ...pipeline.properties,
          callbacks: {
            type: ["array", "null"],
            description: PIPELINE_KEYS.callbacks.description,
            items: entrySchema("callback", registry, CALLBACK_ENTRY_KEYS),
          },
        },
      },
    },
  };
}

/** `sweep:` of a trial (runtime/src/config/sweep.ts reads it; the validator says more). */
function sweepSchema(): JsonSchema {
  const range = { type: "array", items: { type: "number" }, minItems: 2, maxItems: 2 };
  const values = { type: "array", minItems: 1 };
  const distribution = (name: SweepDistributionName): JsonSchema => ({
    type: "object",
    description: SWEEP_DISTRIBUTIONS[name].description,
    required: [name],
    additionalProperties: false,
    properties: { [name]: name === "choice" ? values : range },
  });
  return {
    type: "object",
    description: TRIAL_KEYS.sweep.description,
    required: ["params"],
    additionalProperties: false,
    properties: {
      method: { enum: [...SWEEP_METHODS], description: SWEEP_KEYS.method.description },
      samples: { type: "integer", minimum: 1, description: SWEEP_KEYS.samples.description },
      seed: { type: "integer", description: SWEEP_KEYS.seed.description },
      params: {
        type: "object",
        description: SWEEP_KEYS.params.description,
        minProperties: 1,
        additionalProperties: { anyOf: [values, ...SWEEP_DISTRIBUTION_NAMES.map(distribution)] },
      },
    },
  };
}

export function buildConfigSchemas(registry: RegistryDescription): Record<ConfigRole, JsonSchema> {
  const header = (role: ConfigRole, title: string): JsonSchema => ({
    $schema: "http://json-schema.org/draft-07/schema#",
    title,
  });
  const env = properties(ENV_KEYS, ["trackers", "imports"]);
  const experiment = properties(EXPERIMENT_KEYS);
  const trial = properties(TRIAL_KEYS, ["settings"]);
  return {
    env: {
      ...header("env", "Experiment Manager env.yaml"),
      type: "object",
      required: env.required,
      properties: {
        ...env.properties,
        trackers: {
          type: ["array", "null"],
          description: ENV_KEYS.trackers.description,
          items: entrySchema("tracker", registry, TRACKER_ENTRY_KEYS),
        },
        imports: { type: ["array", "null"], description: ENV_KEYS.imports.description, items: { type: "string" } },
        slurm: {
          type: ["object", "null"],
          description: ENV_KEYS.slurm.description,
          properties: {
            ...properties(SLURM_KEYS).properties,
            time: { type: ["string", "integer"], description: SLURM_KEYS.time.description },
            sbatch_args: { type: "array", description: SLURM_KEYS.sbatch_args.description, items: { type: "string" } },
          },
          additionalProperties: false,
        },
      },
    },
    experiment: {
      ...header("experiment", "Experiment Manager experiment.yaml"),
      type: "object",
      required: experiment.required,
      properties: experiment.properties,
    },
    base: { ...header("base", "Experiment Manager base.yaml"), ...settingsSchema(registry) },
    trials: {
      ...header("trials", "Experiment Manager trials.yaml"),
      description: "A top-level list of trials.",
      type: "array",
      items: {
        type: "object",
        required: trial.required,
        // `settings` may be left out by a sweep (its trials get theirs from it).
        anyOf: [{ required: ["settings"] }, { required: ["sweep"] }],
        properties: {
          ...trial.properties,
          sweep: sweepSchema(),
          settings: {
            description: TRIAL_KEYS.settings.description,
            anyOf: [settingsSchema(registry), { type: "null" }],
          },
        },
      },
    },
  };
}
