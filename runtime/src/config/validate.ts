/**
 * Validation of an experiment config set (env, experiment, base, trials): the small public API
 * over the located tree (located.ts) and the rules (rules.ts). Pure and native-free: used by
 * `expman validate`, by `expman run` before anything starts, and by the language server, so
 * the terminal and the editor report the same problems (test/unit/validator-parity.test.ts).
 *
 * `validateConfigSet(files, registry, options?) => ConfigDiagnostic[]`
 *   - `files`: the texts of whichever of the four roles are known (`{ path, text }`); a role
 *     that is absent is neither checked nor reported missing (the caller decides whether a
 *     missing file is an error: the CLI does, the editor does not).
 *   - `registry`: the registry description (built-ins plus user types). The CLI passes the
 *     types registered by loading the `imports:` modules; the language server passes types it
 *     found by scanning source files. A type may carry `metrics: string[]`, custom metric names
 *     the pipeline declares, which `metric` options then accept.
 *   - `options.fileExists(absolutePath)`: enables the check of `imports:` paths.
 *   - `options.roles`: report only diagnostics of these roles (the rest is still read, since
 *     trials are checked against base.yaml).
 *   - `options.trialsCache`: a TrialsParseCache the caller keeps between calls (the editor),
 *     so that a long trials.yaml is parsed again only where it changed.
 *   - `options.isCancelled()`: asked between files and between trials; once it says true the
 *     validation stops with a `ValidationCancelled` error (the editor's stale validations).
 *   - `options.mergedSettings`: "copied" builds each trial's merged settings in full (the
 *     reference for tests); the default shares base.yaml's entries between trials.
 *
 * Files past the parsing limits (`YAML_LIMITS`: size, depth, alias expansions) get one error
 * where the limit was hit, the same in every caller. Diagnostics carry a 0-based `range` on
 * the exact node, a stable `code`, and for quick fixes `data.suggestion` (replace the range
 * with it) or `data.missingKey` with `data.insertText` and `data.insertPosition`.
 *
 * It never runs user code and never touches the file system except through `fileExists`.
 * Trials are checked on their merged settings (base.yaml, then the trial's `settings`, with
 * the framework's one merge rule, merge.ts). Each problem is reported once, on its node.
 */
import { posix } from "node:path";
import type { ConfigRole } from "../common/enums";
import { CONFIG_ROLES } from "../common/enums";
import type { RegistryDescription } from "../registry/schema";
import type { ConfigDiagnostic, ConfigSeverity } from "./diagnostic";
import { parseLocated, sourceFile, toPlain, YAML_LIMITS } from "./located";
import { Diagnostics, Validator, type ParsedFile } from "./rules";
import type { TrialsParseCache } from "./trial-chunks";
import { cancelCheck, type CancelCheck } from "./cancel";

export * from "./diagnostic";
export { YAML_LIMITS } from "./located";
export { TrialsParseCache } from "./trial-chunks";
export { ValidationCancelled } from "./cancel";
export type { ValidatedType } from "./rules";

export interface ConfigFile {
  path: string;
  text: string;
}
export type ConfigFileSet = Partial<Record<ConfigRole, ConfigFile>>;

export interface ValidateOptions {
  fileExists?: (absolutePath: string) => boolean;
  /** A size limit below `YAML_LIMITS.bytes` (a caller's own budget); same error past it. */
  maxBytes?: number;
  roles?: readonly ConfigRole[];
  trialsCache?: TrialsParseCache;
  /** Asked between files and trials: true stops the validation (ValidationCancelled). */
  isCancelled?: () => boolean;
  /**
   * How each trial's merged settings are built: "shared" (the default) lays the trial's keys
   * over base.yaml's without copying them, so a trial costs what it writes; "copied" copies
   * the base into every trial (the reference the shared form is tested against; slow for a
   * big base.yaml). Both give the same diagnostics.
   */
  mergedSettings?: "shared" | "copied";
}

function parseFile(
  role: ConfigRole,
  input: ConfigFile,
  options: ValidateOptions,
  out: Diagnostics,
  cancel: CancelCheck,
): ParsedFile {
  const file = sourceFile(role, input.path, input.text);
  if (
    options.maxBytes !== undefined &&
    input.text.length > options.maxBytes &&
    input.text.length <= YAML_LIMITS.bytes
  ) {
    out.add(
      file,
      0,
      0,
      "error",
      "file-too-large",
      `This file is larger than ${Math.round(options.maxBytes / 1024)} KB: it is not read here.`,
    );
    return { file, root: undefined };
  }
  if (role === "trials" && options.trialsCache && input.text.length <= YAML_LIMITS.bytes) {
    const chunked = options.trialsCache.parse(file, cancel);
    if (chunked) {
      for (const { file: part, parsed } of chunked.parts)
        for (const p of parsed.problems) out.add(part, p.start, p.end, p.severity, p.code, p.message);
      return { file, root: chunked.root };
    }
  }
  const parsed = parseLocated(file);
  for (const p of parsed.problems) out.add(file, p.start, p.end, p.severity, p.code, p.message);
  // A file past a limit, or with a syntax error, is not checked further: its values are not
  // what the user meant, and the runtime will not read it.
  const unreadable = parsed.problems.some(
    (p) => p.severity === "error" && (p.code === "file-too-large" || p.code === "too-deep" || p.code === "alias-limit"),
  );
  return { file, root: unreadable ? undefined : parsed.root };
}

const IMPORT_SUFFIXES = ["", ".ts", ".tsx", ".mts", ".cts", ".js", ".mjs", ".cjs", "/index.ts", "/index.js"];

/** The file an `imports:` entry names (as the loader resolves it), or undefined. */
export function resolveImport(envPath: string, spec: string, fileExists: (p: string) => boolean): string | undefined {
  // POSIX rules on forward slashes, so Windows paths (C:\x or C:/x) resolve the same way.
  const dir = posix.dirname(envPath.replace(/\\/g, "/"));
  const rel = spec.replace(/\\/g, "/");
  const base = rel.startsWith("/") || /^[A-Za-z]:\//.test(rel) ? posix.normalize(rel) : posix.join(dir, rel);
  for (const suffix of IMPORT_SUFFIXES) {
    const candidate = base + suffix;
    if (fileExists(candidate)) return candidate;
  }
  // `./x.js` written for a TS source, as TypeScript's ESM style does.
  const m = /\.([cm]?)js$/.exec(base);
  if (m && fileExists(base.slice(0, -m[0].length) + `.${m[1]}ts`)) return base.slice(0, -m[0].length) + `.${m[1]}ts`;
  return undefined;
}

/** Validates whichever config files are given; see the module comment for the contract. */
export function validateConfigSet(
  files: ConfigFileSet,
  registry: RegistryDescription,
  options: ValidateOptions = {},
): ConfigDiagnostic[] {
  const out = new Diagnostics(options.roles);
  const fileExists = options.fileExists;
  const cancel = cancelCheck(options.isCancelled);
  const validator = new Validator(registry, out, {
    resolveImport: fileExists ? (envPath, spec) => resolveImport(envPath, spec, fileExists) : undefined,
    cancel,
    copyMergedSettings: options.mergedSettings === "copied",
  });
  const parsed: Partial<Record<ConfigRole, ParsedFile>> = {};
  for (const role of CONFIG_ROLES) {
    const input = files[role];
    cancel(() => `before reading ${role}.yaml`);
    if (input) parsed[role] = parseFile(role, input, options, out, cancel);
  }
  const env = parsed.env;
  if (env?.root) validator.checkEnv(env.root, env.file.path);
  const experiment = parsed.experiment;
  if (experiment?.root) validator.checkExperiment(experiment.root);
  const baseParsed = parsed.base?.root ? parsed.base : undefined;
  const trialsParsed = parsed.trials?.root ? parsed.trials : undefined;
  if (baseParsed || trialsParsed) validator.checkBaseAndTrials(baseParsed, trialsParsed);
  const order: Record<ConfigSeverity, number> = { error: 0, warning: 1, info: 2 };
  return out.list.sort(
    (a, b) =>
      CONFIG_ROLES.indexOf(a.role) - CONFIG_ROLES.indexOf(b.role) ||
      a.range.start.line - b.range.start.line ||
      a.range.start.character - b.range.start.character ||
      order[a.severity] - order[b.severity],
  );
}

/**
 * The plain value of one config text, read with the validator's parser and limits, or
 * undefined when it cannot be read (a syntax error, a limit): for callers that need a value
 * from a file they do not validate (the language server's look at base.yaml and env.yaml).
 */
export function readConfigValue(role: ConfigRole, path: string, text: string): unknown {
  const parsed = parseLocated(sourceFile(role, path, text));
  if (!parsed.root || parsed.problems.some((p) => p.severity === "error" && p.code !== "yaml-syntax")) return undefined;
  return toPlain(parsed.root);
}
