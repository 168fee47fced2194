/**
 * Config utilities of the original (experiment_manager/common/yaml_utils.py), same semantics:
 * trials are deep-merged over base.yaml with lists merged element by element.
 */

type Plain = Record<string, unknown>;

export function isPlainObject(value: unknown): value is Plain {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

export function deepClone<T>(value: T): T {
  if (Array.isArray(value)) return value.map(deepClone) as T;
  if (isPlainObject(value)) {
    const out: Plain = {};
    for (const [k, v] of Object.entries(value)) out[k] = deepClone(v);
    return out as T;
  }
  return value;
}

/**
 * `deep_merge_configs(base, trial)`:
 * - a missing, empty or non-mapping trial gives a copy of the base;
 * - mapping + mapping merge by key (keys missing from base are added);
 * - list + list merge by index: two mappings merge recursively, otherwise the trial element
 *   replaces; extra trial elements are appended; a shorter trial list keeps the base's tail
 *   (so a trial can never shorten or clear a list: as the original);
 * - anything else (scalars, type mismatch, null) replaces the base value.
 * The base is never mutated.
 */
export function deepMergeConfigs(base: unknown, trial: unknown): Plain {
  const result: Plain = isPlainObject(base) ? deepClone(base) : {};
  if (!isPlainObject(trial) || Object.keys(trial).length === 0) return result;
  return mergeMappings(result, trial);
}

function mergeMappings(base: Plain, over: Plain): Plain {
  for (const [key, value] of Object.entries(over)) {
    base[key] = mergeValues(base[key], value, key in base);
  }
  return base;
}

function mergeValues(base: unknown, over: unknown, baseHasKey: boolean): unknown {
  if (!baseHasKey) return deepClone(over);
  if (isPlainObject(base) && isPlainObject(over)) return mergeMappings(deepClone(base), over);
  if (Array.isArray(base) && Array.isArray(over)) return mergeLists(base, over);
  return deepClone(over);
}

function mergeLists(base: unknown[], over: unknown[]): unknown[] {
  const out = base.map(deepClone);
  over.forEach((item, i) => {
    if (i < out.length && isPlainObject(out[i]) && isPlainObject(item)) {
      out[i] = mergeMappings(out[i] as Plain, item);
    } else if (i < out.length) {
      out[i] = deepClone(item);
    } else {
      out.push(deepClone(item));
    }
  });
  return out;
}

/**
 * `insert_value(config, value)`: replaces every `"?"` placeholder inside nested mappings, in
 * place (lists are not traversed, as the original). Returns the config for convenience.
 */
export function insertValue<T>(config: T, value: unknown): T {
  if (isPlainObject(config)) {
    for (const [k, v] of Object.entries(config)) {
      if (v === "?") (config as Plain)[k] = deepClone(value);
      else if (isPlainObject(v)) insertValue(v, value);
    }
  }
  return config;
}

/**
 * `multiply(first, second)`: the cartesian product of two lists of configs, each pair merged
 * with a standard merge (mappings by key, lists replaced): for sweeps in trials.yaml.
 */
export function multiply(first: Plain[], second: Plain[]): Plain[] {
  const out: Plain[] = [];
  for (const a of first) for (const b of second) out.push(standardMerge(deepClone(a), b));
  return out;
}

/** OmegaConf.merge: mappings merge by key, anything else (lists included) replaces. Mutates `base`. */
export function standardMerge(base: Plain, over: Plain): Plain {
  for (const [k, v] of Object.entries(over)) {
    base[k] = isPlainObject(base[k]) && isPlainObject(v) ? standardMerge(base[k] as Plain, v) : deepClone(v);
  }
  return base;
}
