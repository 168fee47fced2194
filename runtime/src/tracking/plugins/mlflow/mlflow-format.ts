/**
 * The small print of MLflow's formats, kept in one place: how Python prints a float in a metric
 * file, how PyYAML's `safe_dump` writes meta.yaml, which names MLflow accepts, and its run
 * status enum. References: mlflow/store/tracking/file_store.py, mlflow/utils/validation.py,
 * mlflow/protos/service.proto (RunStatus).
 */
import { randomInt } from "node:crypto";
import { RunStatus } from "../../../common/enums";

/** MLflow's RunStatus enum (service.proto); meta.yaml stores the number, REST the name. */
export const MlflowRunStatus = { RUNNING: 1, SCHEDULED: 2, FINISHED: 3, FAILED: 4, KILLED: 5 } as const;
export type MlflowRunStatusName = keyof typeof MlflowRunStatus;

/**
 * Our RunStatus to MLflow's: SUCCESS, FINISHED and STOPPED (early stopping is a normal end) are
 * FINISHED; FAILED is FAILED; ABORTED and SKIPPED are KILLED. The exact status is also kept in
 * the run's `expman.status` tag.
 */
export function mlflowStatusOf(status: RunStatus | undefined): MlflowRunStatusName {
  switch (status) {
    case RunStatus.RUNNING:
      return "RUNNING";
    case RunStatus.FAILED:
      return "FAILED";
    case RunStatus.ABORTED:
    case RunStatus.SKIPPED:
      return "KILLED";
    default:
      return "FINISHED";
  }
}

/** Python's `str(float)`: shortest round-trip digits, exponent form below 1e-4 and from 1e16. */
export function pythonFloat(value: number): string {
  if (Number.isNaN(value)) return "nan";
  if (value === Infinity) return "inf";
  if (value === -Infinity) return "-inf";
  if (value === 0) return Object.is(value, -0) ? "-0.0" : "0.0";
  const [mantissa, expText] = value.toExponential().split("e");
  const exp = Number(expText);
  if (exp < -4 || exp >= 16) {
    const m = mantissa.includes(".") ? mantissa : mantissa; // "1.5" or "1"
    return `${m}e${exp < 0 ? "-" : "+"}${String(Math.abs(exp)).padStart(2, "0")}`;
  }
  const negative = mantissa.startsWith("-");
  const digits = mantissa.replace("-", "").replace(".", "");
  let text: string;
  if (exp >= 0) {
    const intPart = digits.length > exp + 1 ? digits.slice(0, exp + 1) : digits.padEnd(exp + 1, "0");
    const frac = digits.length > exp + 1 ? digits.slice(exp + 1) : "0";
    text = `${intPart}.${frac}`;
  } else {
    text = `0.${"0".repeat(-exp - 1)}${digits}`;
  }
  return negative ? `-${text}` : text;
}

// ---- meta.yaml -----------------------------------------------------------------------------

export type YamlScalar = string | number | null | readonly never[];

/**
 * A flat mapping as PyYAML's `safe_dump(default_flow_style=False)` writes it: keys sorted,
 * `null`, integers bare, strings plain when YAML would read them back as the same string,
 * single-quoted otherwise, double-quoted (JSON escapes) when they hold control characters.
 */
export function dumpMetaYaml(data: Record<string, YamlScalar>): string {
  return Object.keys(data)
    .sort()
    .map((key) => `${key}: ${yamlScalar(data[key])}\n`)
    .join("");
}

function yamlScalar(value: YamlScalar): string {
  if (value === null) return "null";
  if (Array.isArray(value)) return "[]";
  if (typeof value === "number") return String(value);
  const s = value as string;
  if (s === "") return "''";
  // eslint-disable-next-line no-control-regex
  if (/[\x00-\x1f\x7f]/.test(s)) return JSON.stringify(s);
  const reserved =
    /^(?:null|Null|NULL|~|true|True|TRUE|false|False|FALSE|yes|Yes|YES|no|No|NO|on|On|ON|off|Off|OFF|y|Y|n|N)$/;
  const numeric =
    /^[-+]?(?:\d[\d_]*(?:\.\d*)?|\.\d+)(?:[eE][-+]?\d+)?$|^[-+]?\.(?:inf|Inf|INF)$|^\.(?:nan|NaN|NAN)$|^0[xob]/;
  const plainSafe =
    /^[^\s\-?:,[\]{}#&*!|>'"%@`]/.test(s) &&
    !/[:#]\s|\s#|:$|\s$/.test(s) &&
    !reserved.test(s) &&
    !numeric.test(s) &&
    !/^[-?:]\s/.test(s);
  return plainSafe ? s : `'${s.replace(/'/g, "''")}'`;
}

/** Reads back the flat meta.yaml files we (and MLflow) write: `key: scalar` lines. */
export function parseMetaYaml(text: string): Record<string, string | number | null> {
  const out: Record<string, string | number | null> = {};
  for (const line of text.split(/\r?\n/)) {
    const m = /^([A-Za-z_][\w]*):\s?(.*)$/.exec(line);
    if (!m) continue;
    const raw = m[2].trim();
    if (raw === "null" || raw === "~" || raw === "") out[m[1]] = null;
    else if (raw.startsWith("'")) out[m[1]] = raw.slice(1, -1).replace(/''/g, "'");
    else if (raw.startsWith('"')) out[m[1]] = JSON.parse(raw) as string;
    else if (/^-?\d+$/.test(raw)) out[m[1]] = Number(raw);
    else out[m[1]] = raw;
  }
  return out;
}

// ---- names -----------------------------------------------------------------------------------

/** MLflow's limit on metric, param and tag keys (MAX_ENTITY_KEY_LENGTH). */
export const MAX_KEY_LENGTH = 250;
/** MLflow 2.x limits on values (MAX_PARAM_VAL_LENGTH, MAX_TAG_VAL_LENGTH). */
export const MAX_PARAM_VALUE_LENGTH = 6000;
export const MAX_TAG_VALUE_LENGTH = 8000;

/**
 * A key MLflow accepts (`_validate_metric_name` and friends): letters, digits, `_ - . / :` and
 * spaces, no empty, `.` or `..` path segments, no leading `/`, at most 250 characters. Any
 * other character becomes `_`, bad segments are dropped. Slashes stay: the file store keeps
 * `a/b` as `metrics/a/b`, which MLflow reads back as the key `a/b`.
 */
export function mlflowKey(key: string): string {
  let k = key.replace(/[^\p{L}\p{N}_\-./: ]/gu, "_");
  k = k
    .split("/")
    .filter((seg) => seg !== "" && seg !== "." && seg !== "..")
    .join("/");
  if (k === "") k = "_";
  if (k.startsWith("..")) k = `_${k.slice(1)}`; // MLflow rejects names whose normal form starts with ".."
  return k.length > MAX_KEY_LENGTH ? k.slice(0, MAX_KEY_LENGTH) : k;
}

/** MLflow's file-store experiment ids: a random positive integer of 18 digits, as a string. */
export function newExperimentId(): string {
  let id = String(randomInt(1, 10));
  for (let i = 0; i < 17; i++) id += String(randomInt(0, 10));
  return id;
}
