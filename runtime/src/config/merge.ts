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
  return mergeBy(PLAIN, result, trial) as Plain;
}

/**
 * How a kind of value is taken apart and rebuilt, so that plain values (the runtime) and
 * located values (the validator, which keeps where each node was written) follow one rule.
 */
export interface MergeShape<V> {
  /** The key/value pairs of a mapping, or undefined for anything else. */
  entries(v: V): Iterable<[string, V]> | undefined;
  /** The value of one key of a mapping (`entries` said it is one), or undefined when it has none. */
  get(map: V, key: string): V | undefined;
  /** The items of a list, or undefined for anything else. */
  items(v: V): readonly V[] | undefined;
  /**
   * The merged mapping: `base`'s keys in their order, each with its value from `changed` when
   * there, then `changed`'s keys that `base` lacks. `changed` holds only the keys `over` writes,
   * so a shape can share what `base` has rather than copy it (the validator's does).
   */
  map(base: V, over: V, changed: Map<string, V>): V;
  list(base: V, over: V, items: V[]): V;
  /** A value taken over as it is (a copy, so the result never aliases its inputs). */
  copy(v: V): V;
}

/** The merge rule of the original's `deep_merge_configs`, for any shape of value (see above). */
export function mergeBy<V>(shape: MergeShape<V>, base: V, over: V): V {
  const overEntries = shape.entries(over);
  if (overEntries && shape.entries(base)) {
    // Only the keys `over` writes are merged here; the shape keeps the rest of `base`.
    const changed = new Map<string, V>();
    for (const [k, v] of overEntries) {
      const b = shape.get(base, k);
      changed.set(k, b !== undefined ? mergeBy(shape, b, v) : shape.copy(v));
    }
    return shape.map(base, over, changed);
  }
  const baseItems = shape.items(base);
  const overItems = shape.items(over);
  if (baseItems && overItems) {
    const items: V[] = [];
    for (let i = 0; i < Math.max(baseItems.length, overItems.length); i++) {
      const b = baseItems[i];
      const o = overItems[i];
      if (i < baseItems.length && i < overItems.length)
        items.push(shape.entries(b) && shape.entries(o) ? mergeBy(shape, b, o) : shape.copy(o));
      else items.push(shape.copy(i < overItems.length ? o : b));
    }
    return shape.list(base, over, items);
  }
  return shape.copy(over);
}

const PLAIN: MergeShape<unknown> = {
  entries: (v) => (isPlainObject(v) ? Object.entries(v) : undefined),
  get: (map, key) => (Object.hasOwn(map as Plain, key) ? (map as Plain)[key] : undefined),
  items: (v) => (Array.isArray(v) ? v : undefined),
  map: (base, _o, changed) => {
    const merged = new Map<string, unknown>();
    for (const [k, v] of Object.entries(base as Plain)) merged.set(k, changed.has(k) ? changed.get(k) : deepClone(v));
    for (const [k, v] of changed) if (!merged.has(k)) merged.set(k, v);
    return Object.fromEntries(merged);
  },
  list: (_b, _o, items) => items,
  copy: deepClone,
};

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
