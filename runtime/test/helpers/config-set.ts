/** A config set in memory and a registry with one `Train` pipeline, for validator tests and benches. */
import { BUILTIN_TYPES } from "../../src/builtins/catalog";
import type { ConfigFileSet } from "../../src/config/validate";
import type { RegistryDescription, TypeDescription } from "../../src/registry/schema";

/** env.yaml and experiment.yaml that validate, with the given base.yaml and trials.yaml, under `dir`. */
export function configSet(base: string, trials: string, dir = "/c"): ConfigFileSet {
  return {
    env: { path: `${dir}/env.yaml`, text: "workspace: out\n" },
    experiment: { path: `${dir}/experiment.yaml`, text: "name: e\ndesc: d\n" },
    base: { path: `${dir}/base.yaml`, text: base },
    trials: { path: `${dir}/trials.yaml`, text: trials },
  };
}

/** The built-in types plus `Train` (lr, required epochs), closed or open to other keys, and `extra` types. */
export function trainRegistry(closed: boolean, extra: TypeDescription[] = []): RegistryDescription {
  return {
    version: 1,
    types: [
      ...BUILTIN_TYPES,
      {
        name: "Train",
        kind: "pipeline",
        closed,
        params: { lr: { type: "number" }, epochs: { type: "integer", required: true } },
      },
      ...extra,
    ],
  };
}
