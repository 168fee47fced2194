import { checkParamValue, type ParamsSchema } from "../registry/schema";

/**
 * Reads a built-in's options against its catalog schema: defaults applied, wrong types and
 * unknown keys rejected with a message naming the type and option (config files are checked
 * with positions before a run starts; this guards programmatic use).
 */
export function readOptions<T extends Record<string, unknown>>(
  typeName: string,
  schema: ParamsSchema,
  config: Record<string, unknown>,
): T {
  const out: Record<string, unknown> = {};
  for (const [key, param] of Object.entries(schema)) {
    const value = config[key];
    const problem = checkParamValue(param, value);
    if (problem) throw new TypeError(`${typeName}: option '${key}' ${problem}.`);
    out[key] = value ?? param.default;
  }
  for (const key of Object.keys(config)) {
    if (key !== "type" && key !== "verbose" && !(key in schema)) {
      throw new TypeError(
        `${typeName}: unknown option '${key}'. Known options: ${Object.keys(schema).join(", ") || "(none)"}.`,
      );
    }
  }
  // Every option was just checked against the schema, which `T` (the caller's) describes.
  return out as T;
}
