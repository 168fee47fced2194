/**
 * Declared option schemas: what a pipeline, tracker or callback accepts in YAML. One shape for
 * built-ins and user classes; the runtime validates configs against it, the language server
 * completes and hovers from it, and `expman registry --json` prints it.
 */
import { fileNameProblem } from "../common/names";

export type ParamType = "string" | "integer" | "number" | "boolean" | "metric" | "list" | "object" | "any";

export interface ParamSchema {
  type: ParamType;
  description?: string;
  required?: boolean;
  default?: unknown;
  /** Allowed values (for strings or numbers). */
  enum?: readonly (string | number)[];
  minimum?: number;
  maximum?: number;
  /** "file-name": the string becomes a file or folder name, so it must be one safe segment. */
  format?: "file-name";
}

export type ParamsSchema = Readonly<Record<string, ParamSchema>>;

export type RegistryKind = "pipeline" | "tracker" | "callback";
export const REGISTRY_KINDS: readonly RegistryKind[] = ["pipeline", "tracker", "callback"];

/** What is known of one registered type, without the class itself: crosses process bounds. */
export interface TypeDescription {
  name: string;
  kind: RegistryKind;
  description?: string;
  params?: ParamsSchema;
  /** Whether params not in `params` are an error (built-ins) or allowed (user pipelines). */
  closed?: boolean;
  /** Custom metric names the type produces (`Metric.CUSTOM` pairs), so configs may name them. */
  metrics?: readonly string[];
  /** Absolute path of the module that registered it; undefined for built-ins. */
  file?: string;
  line?: number;
  builtin?: boolean;
}

export interface RegistryDescription {
  version: 1;
  types: TypeDescription[];
}

/** Checks one value against a param schema; returns a message when it does not fit. */
export function checkParamValue(schema: ParamSchema, value: unknown): string | undefined {
  if (value === null || value === undefined) {
    return schema.required ? "is required" : undefined;
  }
  const got = describeValueType(value);
  switch (schema.type) {
    case "any":
      break;
    case "string":
    case "metric":
      if (typeof value !== "string") return `must be a string, got ${got}`;
      break;
    case "integer":
      if (typeof value !== "number" || !Number.isInteger(value)) return `must be an integer, got ${got}`;
      break;
    case "number":
      if (typeof value !== "number" || Number.isNaN(value)) return `must be a number, got ${got}`;
      break;
    case "boolean":
      if (typeof value !== "boolean") return `must be true or false, got ${got}`;
      break;
    case "list":
      if (!Array.isArray(value)) return `must be a list, got ${got}`;
      break;
    case "object":
      if (typeof value !== "object" || Array.isArray(value)) return `must be a mapping, got ${got}`;
      break;
  }
  if (schema.enum && !schema.enum.includes(value as string | number)) {
    return `must be one of ${schema.enum.map((v) => JSON.stringify(v)).join(", ")}, got ${JSON.stringify(value)}`;
  }
  if (schema.format === "file-name" && typeof value === "string") {
    const problem = fileNameProblem(value);
    if (problem)
      return `becomes a file or folder name, and ${JSON.stringify(value.length > 40 ? `${value.slice(0, 40)}...` : value)} ${problem}`;
  }
  if (typeof value === "number") {
    if (schema.minimum !== undefined && value < schema.minimum) return `must be >= ${schema.minimum}, got ${value}`;
    if (schema.maximum !== undefined && value > schema.maximum) return `must be <= ${schema.maximum}, got ${value}`;
  }
  return undefined;
}

export function describeValueType(value: unknown): string {
  if (value === null) return "null";
  if (Array.isArray(value)) return "a list";
  if (typeof value === "object") return "a mapping";
  if (typeof value === "string") return `the string ${JSON.stringify(value)}`;
  if (typeof value === "number") return Number.isInteger(value) ? `the integer ${value}` : `the number ${value}`;
  return `${typeof value} ${String(value)}`;
}
