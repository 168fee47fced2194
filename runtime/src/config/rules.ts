/**
 * The rules: what a valid config set is, checked on the located tree (see located.ts) against
 * the registry description, each problem collected once on the node it comes from.
 */
import type { ConfigRole } from "../common/enums";
import { getMetricCategory, getTrackedMetrics, MetricCategory, parseMetric } from "../common/enums";
import { unknownTypeMessage } from "../registry/registry";
import type { ParamSchema, ParamsSchema, RegistryDescription, RegistryKind, TypeDescription } from "../registry/schema";
import { checkParamValue } from "../registry/schema";
import { closestNames } from "../registry/suggest";
import { posix } from "node:path";
import type { ConfigDiagnostic, ConfigDiagnosticCode, ConfigSeverity } from "./diagnostic";
import {
  clampedRange,
  positionAt,
  type LEntries,
  type LEntry,
  type LMap,
  type LSeq,
  type LValue,
  type SourceFile,
} from "./located";
import { OverlayEntries } from "./merged-entries";
import type { CancelCheck } from "./cancel";
import { mergeBy, type MergeShape } from "./merge";
import { checkSweep } from "./sweep-rules";
import { slurmTimeProblem } from "../executors/slurm-options";
import {
  CALLBACK_ENTRY_KEYS,
  ENV_KEYS,
  SLURM_KEYS,
  EXPERIMENT_KEYS,
  PIPELINE_KEYS,
  SETTINGS_KEYS,
  TRACKER_ENTRY_KEYS,
  TRIAL_KEYS,
} from "./sections";

/** Keys the Python original's configs carry (on trackers, callbacks, env.yaml) and it ignores itself. */
const ORIGINAL_IGNORED_KEYS = new Set(["verbose", "logger"]);

/** A registered type as the validator reads it: the description plus optional custom metrics. */
export type ValidatedType = TypeDescription & { metrics?: readonly string[] };

export interface RuleOptions {
  /** The file an `imports:` entry names, or undefined when it does not exist. */
  resolveImport?: (envPath: string, spec: string) => string | undefined;
  /** Asked between trials; throws to stop a validation nobody needs any more (cancel.ts). */
  cancel?: CancelCheck;
  /** Each trial's merged settings as a full copy (validate.ts, `mergedSettings`). */
  copyMergedSettings?: boolean;
}

export interface ParsedFile {
  file: SourceFile;
  root: LValue | undefined;
}

export class Diagnostics {
  readonly list: ConfigDiagnostic[] = [];
  private readonly seen = new Set<string>();
  constructor(private readonly roles: readonly ConfigRole[] | undefined) {}

  add(
    file: SourceFile,
    start: number,
    end: number,
    severity: ConfigSeverity,
    code: ConfigDiagnosticCode,
    message: string,
    data?: ConfigDiagnostic["data"],
  ): void {
    if (this.roles && !this.roles.includes(file.role)) return;
    const range = clampedRange(file, start, end);
    // One problem per node and code: the base is checked once per trial, with the same findings.
    const id = `${file.role}|${range.start.line}:${range.start.character}|${code}`;
    if (this.seen.has(id)) return;
    this.seen.add(id);
    this.list.push({ role: file.role, path: file.path, severity, code, message, range, ...(data ? { data } : {}) });
  }

  /** On a value: its own text for scalars, its key (or first line) for maps and lists. */
  onValue(
    value: LValue,
    severity: ConfigSeverity,
    code: ConfigDiagnosticCode,
    message: string,
    data?: ConfigDiagnostic["data"],
  ): void {
    if (value.kind === "scalar" && value.end > value.start) {
      this.add(value.file, value.start, value.end, severity, code, message, data);
    } else if (value.keyStart !== undefined) {
      this.add(value.file, value.keyStart, value.keyEnd ?? value.keyStart, severity, code, message, data);
    } else {
      this.add(value.file, value.start, value.end, severity, code, message, data);
    }
  }
}

class RegistryIndex {
  private readonly byKind = new Map<RegistryKind, Map<string, ValidatedType>>();
  constructor(registry: RegistryDescription) {
    for (const kind of ["pipeline", "tracker", "callback"] as RegistryKind[]) this.byKind.set(kind, new Map());
    for (const t of registry.types as ValidatedType[]) this.byKind.get(t.kind)?.set(t.name, t);
  }
  get(kind: RegistryKind, name: string): ValidatedType | undefined {
    return this.byKind.get(kind)!.get(name);
  }
  names(kind: RegistryKind): string[] {
    return [...this.byKind.get(kind)!.keys()].sort();
  }
  kindsOf(name: string): RegistryKind[] {
    return (["pipeline", "tracker", "callback"] as RegistryKind[]).filter((k) => this.byKind.get(k)!.has(name));
  }
}

export function plain(value: LValue): unknown {
  if (value.kind === "map") return {};
  if (value.kind === "seq") return [];
  return value.value;
}

function placeholderFor(schema: ParamSchema | undefined): string {
  if (!schema) return '""';
  if (schema.default !== undefined && schema.default !== null && typeof schema.default !== "object")
    return String(schema.default);
  switch (schema.type) {
    case "integer":
      return String(Math.max(schema.minimum ?? 1, 1));
    case "number":
      return String(schema.minimum ?? 0);
    case "boolean":
      return "false";
    case "list":
      return "[]";
    case "object":
      return "{}";
    default:
      return schema.enum?.length ? String(schema.enum[0]) : '""';
  }
}

export class Validator {
  readonly registry: RegistryIndex;
  /**
   * Per base mapping and schema (merged settings, see checkMap): the base's entries whose
   * check every trial so far skipped because it overrode them.
   */
  private readonly baseKeysLeft = new Map<LEntries, Map<string, Iterable<LEntry>>>();
  private readonly unknownTypes = new Map<
    string,
    { code: ConfigDiagnosticCode; message: string; suggestion?: string }
  >();
  constructor(
    registry: RegistryDescription,
    readonly out: Diagnostics,
    readonly options: RuleOptions,
  ) {
    this.registry = new RegistryIndex(registry);
  }

  /** Reports a missing key on a map, with the text and place to add it. */
  missingKey(merged: LMap, key: string, schema: ParamSchema | undefined, message: string, nestedTypeKey = false): void {
    // In merged settings, the key belongs where the entry's `type` was written (base.yaml for a
    // pipeline that trials only tune), else in the last mapping merged (the trial's).
    const sources = merged.sources ?? [merged];
    const map = [...sources].reverse().find((m) => m.entries.has("type")) ?? sources[sources.length - 1];
    const data: ConfigDiagnostic["data"] = { missingKey: key };
    if (map.insertAt !== undefined) {
      const suffix = map.insertSuffix ?? "\n";
      // `pipeline:` is only useful with its `type:` under it.
      const value = !nestedTypeKey
        ? ` ${placeholderFor(schema)}`
        : suffix.startsWith("\n")
          ? `${suffix}  type: ""`
          : ' {type: ""}';
      data.insertText = `${key}:${value}${suffix}`;
      data.insertPosition = positionAt(map.file, map.insertAt);
    }
    if (map.keyStart !== undefined)
      this.out.add(map.file, map.keyStart, map.keyEnd ?? map.keyStart, "error", "missing-key", message, data);
    else this.out.add(map.file, map.start, map.end, "error", "missing-key", message, data);
  }

  /**
   * Checks a mapping against a schema: required keys, value types, and unknown keys when the
   * section is owned by the framework (`closed`). `skip` keys are checked by the caller.
   */
  checkMap(
    map: LMap,
    schema: ParamsSchema,
    where: string,
    closed: boolean,
    skip: readonly string[] = [],
    customMetrics: readonly string[] = [],
  ): void {
    for (const [key, param] of Object.entries(schema)) {
      if (skip.includes(key)) continue;
      const entry = map.entries.get(key);
      if (!entry) {
        if (param.required) this.missingKey(map, key, param, `Missing required key '${key}' in ${where}.`);
        continue;
      }
      this.checkValue(entry.value, param, `'${key}'`, customMetrics);
    }
    if (!closed) return;
    const known = Object.keys(schema);
    if (!(map.entries instanceof OverlayEntries)) {
      for (const entry of map.entries.values()) this.checkKeyKnown(entry, known, skip, where);
      return;
    }
    // Merged settings: the trial's own keys are checked here; the base's keys give the same
    // finding in every trial checked against this schema, so each is reported by the first
    // trial that has it and then never looked at again (a 40,000-key base.yaml, issue 13.5).
    const { base, own } = map.entries;
    for (const entry of own.values()) this.checkKeyKnown(entry, known, skip, where);
    const context = [where, known.join("\u0001"), skip.join("\u0001")].join("\u0000");
    let byContext = this.baseKeysLeft.get(base);
    if (!byContext) this.baseKeysLeft.set(base, (byContext = new Map()));
    const left: LEntry[] = [];
    for (const entry of byContext.get(context) ?? base.values()) {
      if (own.has(entry.key)) left.push(entry);
      else this.checkKeyKnown(entry, known, skip, where);
    }
    byContext.set(context, left);
  }

  /** An entry of a closed section: known, one the original ignores (info), or unknown (a warning). */
  private checkKeyKnown(entry: LEntry, known: readonly string[], skip: readonly string[], where: string): void {
    if (known.includes(entry.key) || skip.includes(entry.key)) return;
    if (ORIGINAL_IGNORED_KEYS.has(entry.key)) {
      // Configs of the Python original carry these everywhere; it ignores them too. Not a mistake.
      this.out.add(
        entry.keyFile,
        entry.keyStart,
        entry.keyEnd,
        "info",
        "unknown-key",
        `'${entry.key}' in ${where} has no effect: the Python original's configs carry it, and it ignores it too.`,
      );
      return;
    }
    const close = closestNames(entry.key, known, 1);
    const hint = close.length ? ` Did you mean '${close[0]}'?` : ` Known keys: ${known.join(", ")}.`;
    this.out.add(
      entry.keyFile,
      entry.keyStart,
      entry.keyEnd,
      "warning",
      "unknown-key",
      `Unknown key '${entry.key}' in ${where}; it is ignored.${hint}`,
      close.length ? { suggestion: close[0] } : undefined,
    );
  }

  checkValue(value: LValue, param: ParamSchema, label: string, customMetrics: readonly string[]): void {
    const v = plain(value);
    if (v === null || v === undefined) {
      if (param.required) this.out.onValue(value, "error", "wrong-value", `${label} is required and cannot be empty.`);
      return;
    }
    const problem = checkParamValue(param, v);
    if (problem) {
      this.out.onValue(value, "error", "wrong-value", `${label} ${problem}.`);
      return;
    }
    if (param.type === "metric" && typeof v === "string") this.checkMetric(value, v, customMetrics);
  }

  checkMetric(value: LValue, name: string, customMetrics: readonly string[]): void {
    if (customMetrics.includes(name)) return;
    const metric = parseMetric(name);
    if (metric) {
      if (getMetricCategory(metric) !== MetricCategory.TRACKED) {
        this.out.onValue(
          value,
          "error",
          "untracked-metric",
          `'${name}' is not a tracked metric: trackers and callbacks never receive it. Use one of: ${getTrackedMetrics().join(", ")}.`,
        );
      }
      return;
    }
    const candidates = [...getTrackedMetrics(), ...customMetrics];
    const close = closestNames(name, candidates, 1);
    const hint = close.length ? ` Did you mean '${close[0]}'?` : "";
    this.out.onValue(
      value,
      "error",
      "unknown-metric",
      `Unknown metric '${name}'.${hint} Tracked metrics: ${getTrackedMetrics().join(", ")}${customMetrics.length ? `; declared by the pipeline: ${customMetrics.join(", ")}` : ""}.`,
      close.length ? { suggestion: close[0] } : undefined,
    );
  }

  /** Resolves an entry's `type` against the registry; reports unknown names and wrong kinds. */
  checkType(typeValue: LValue, kind: RegistryKind): ValidatedType | undefined {
    const name = plain(typeValue);
    if (typeof name !== "string" || name === "") {
      this.out.onValue(typeValue, "error", "wrong-value", `'type' must be the name of a registered ${kind}.`);
      return undefined;
    }
    const found = this.registry.get(kind, name);
    if (found) return found;
    // Memoized: base.yaml's type is checked once per trial, against maybe many names.
    const memoKey = `${kind}\u0000${name}`;
    let verdict = this.unknownTypes.get(memoKey);
    if (!verdict) {
      const otherKinds = this.registry.kindsOf(name);
      const known = this.registry.names(kind);
      const close = otherKinds.length ? [] : closestNames(name, known, 1);
      verdict = {
        code: otherKinds.length ? "wrong-kind" : "unknown-type",
        message: unknownTypeMessage(kind, name, known, otherKinds),
        suggestion: close[0],
      };
      this.unknownTypes.set(memoKey, verdict);
    }
    this.out.onValue(
      typeValue,
      "error",
      verdict.code,
      verdict.message,
      verdict.suggestion ? { suggestion: verdict.suggestion } : undefined,
    );
    return undefined;
  }

  /** A tracker or callback entry: `{ type, ...options }`. */
  checkEntry(entry: LValue, kind: "tracker" | "callback", where: string, customMetrics: readonly string[]): void {
    if (entry.kind !== "map") {
      this.out.onValue(
        entry,
        "error",
        "not-a-mapping",
        `Each ${kind} entry in ${where} must be a mapping with a 'type' (e.g. '- type: ${kind === "tracker" ? "LogTracker" : "EarlyStopping"}').`,
      );
      return;
    }
    const typeEntry = entry.entries.get("type");
    if (!typeEntry) {
      this.missingKey(
        entry,
        "type",
        (kind === "tracker" ? TRACKER_ENTRY_KEYS : CALLBACK_ENTRY_KEYS).type,
        `Missing required key 'type' in this ${kind} entry of ${where}.`,
      );
      return;
    }
    const type = this.checkType(typeEntry.value, kind);
    if (!type) return;
    this.checkMap(entry, type.params ?? {}, `${kind} ${type.name}`, type.closed === true, ["type"], customMetrics);
    if (type.name === "EarlyStopping") this.checkLegacyMinDelta(entry);
  }

  /**
   * The original has no `min_delta` (it rejects such an entry and requires `min_delta_percent`);
   * here it is an absolute threshold. An old config with `min_delta` alone would silently change
   * meaning, so say so.
   */
  checkLegacyMinDelta(entry: LMap): void {
    const minDelta = entry.entries.get("min_delta");
    if (!minDelta || entry.entries.has("min_delta_percent")) return;
    this.out.add(
      minDelta.keyFile,
      minDelta.keyStart,
      minDelta.keyEnd,
      "warning",
      "changed-meaning",
      "'min_delta' without 'min_delta_percent': the Python original rejects this entry (it requires 'min_delta_percent'); here 'min_delta' is an absolute threshold. If this config came from the original, write 'min_delta_percent: <percent>' instead; to keep the absolute threshold, add 'min_delta_percent: 0'.",
    );
  }

  checkEntryList(list: LValue, kind: "tracker" | "callback", where: string, customMetrics: readonly string[]): void {
    if (list.kind === "scalar" && list.value === null) return;
    if (list.kind !== "seq") {
      this.out.onValue(list, "error", "wrong-value", `${where} must be a list of ${kind} entries.`);
      return;
    }
    for (const item of list.items) this.checkEntry(item, kind, where, customMetrics);
  }

  checkEnv(root: LValue, envPath: string): void {
    if (root.kind !== "map") {
      this.out.onValue(
        root,
        "error",
        "not-a-mapping",
        "env.yaml must be a mapping (keys such as 'workspace:', 'trackers:', 'imports:').",
      );
      return;
    }
    this.checkMap(root, ENV_KEYS, "env.yaml", true, ["trackers", "imports"]);
    const trackers = root.entries.get("trackers");
    if (trackers) this.checkEntryList(trackers.value, "tracker", "'trackers'", []);
    const imports = root.entries.get("imports");
    if (imports) this.checkImports(imports.value, envPath);
    const slurm = root.entries.get("slurm");
    if (slurm) this.checkSlurm(slurm.value);
  }

  /** The Slurm executor's options: known keys, a time Slurm takes, sbatch arguments as strings. */
  checkSlurm(section: LValue): void {
    if (section.kind === "scalar" && section.value === null) return;
    if (section.kind !== "map") {
      this.out.onValue(
        section,
        "error",
        "not-a-mapping",
        "'slurm' must be a mapping (keys such as 'partition:', 'time:').",
      );
      return;
    }
    this.checkMap(section, SLURM_KEYS, "env.yaml 'slurm'", true);
    const time = section.entries.get("time");
    const timeValue = time ? plain(time.value) : null;
    const problem = timeValue === null || timeValue === undefined ? undefined : slurmTimeProblem(timeValue);
    if (time && problem) this.out.onValue(time.value, "error", "wrong-value", `'time' ${problem}.`);
    const args = section.entries.get("sbatch_args");
    if (args?.value.kind === "seq") {
      for (const item of args.value.items) {
        if (typeof plain(item) !== "string")
          this.out.onValue(
            item,
            "error",
            "wrong-value",
            "Each entry of 'sbatch_args' must be one sbatch argument (a string), e.g. \"--mem=4G\".",
          );
      }
    }
  }

  checkImports(list: LValue, envPath: string): void {
    if (list.kind === "scalar" && list.value === null) return;
    if (list.kind !== "seq") {
      this.out.onValue(list, "error", "wrong-value", "'imports' must be a list of module paths.");
      return;
    }
    for (const item of list.items) {
      const spec = plain(item);
      if (typeof spec !== "string") {
        this.out.onValue(item, "error", "wrong-value", "Each entry of 'imports' must be a module path (a string).");
        continue;
      }
      if (!this.options.resolveImport || !isPathSpecifier(spec)) continue;
      if (!this.options.resolveImport(envPath, spec)) {
        this.out.onValue(
          item,
          "error",
          "missing-import",
          `Cannot find the module '${spec}' (relative to ${configFolderOf(envPath)}).`,
        );
      }
    }
  }

  checkExperiment(root: LValue): void {
    if (root.kind !== "map") {
      this.out.onValue(root, "error", "not-a-mapping", "experiment.yaml must be a mapping with 'name' and 'desc'.");
      return;
    }
    this.checkMap(root, EXPERIMENT_KEYS, "experiment.yaml", true);
  }

  /** Merged settings of one trial (or base.yaml alone): seed, pipeline type, params, callbacks. */
  checkSettings(settings: LValue, where: string, onMissingPipeline: (settings: LValue) => void): void {
    if (settings.kind !== "map") {
      if (!(settings.kind === "scalar" && settings.value === null)) {
        this.out.onValue(settings, "error", "not-a-mapping", `${where} must be a mapping (keys such as 'pipeline:').`);
      }
      onMissingPipeline(settings);
      return;
    }
    this.checkMap(settings, SETTINGS_KEYS, where, false, ["pipeline"]);
    const pipeline = settings.entries.get("pipeline");
    if (!pipeline || pipeline.value.kind !== "map") {
      if (pipeline && !(pipeline.value.kind === "scalar" && pipeline.value.value === null)) {
        this.out.onValue(pipeline.value, "error", "not-a-mapping", "'pipeline' must be a mapping with a 'type'.");
        return;
      }
      onMissingPipeline(settings);
      return;
    }
    const p = pipeline.value;
    const typeEntry = p.entries.get("type");
    let type: ValidatedType | undefined;
    if (!typeEntry || (typeEntry.value.kind === "scalar" && typeEntry.value.value === null))
      onMissingPipeline(settings);
    else type = this.checkType(typeEntry.value, "pipeline");
    const metrics = type?.metrics ?? [];
    const schema: ParamsSchema = { ...(type?.params ?? {}), ...PIPELINE_KEYS };
    this.checkMap(
      p,
      schema,
      type ? `pipeline ${type.name}` : "'pipeline'",
      type?.closed === true,
      ["type", "callbacks"],
      metrics,
    );
    const callbacks = p.entries.get("callbacks");
    if (callbacks) this.checkEntryList(callbacks.value, "callback", "'pipeline.callbacks'", metrics);
  }

  checkBaseAndTrials(base: ParsedFile | undefined, trials: ParsedFile | undefined): void {
    const baseRoot = base?.root;
    if (baseRoot && baseRoot.kind !== "map" && !(baseRoot.kind === "scalar" && baseRoot.value === null)) {
      this.out.onValue(
        baseRoot,
        "error",
        "not-a-mapping",
        "base.yaml must be a mapping of settings (with 'pipeline:').",
      );
    }
    const baseMap = baseRoot?.kind === "map" ? baseRoot : undefined;
    const trialRoot = trials?.root;
    const trialList = trialRoot ? this.trialEntries(trialRoot) : undefined;
    if (!trialList || trialList.length === 0) {
      if (baseMap) {
        this.checkSettings(baseMap, "base.yaml", (s) => {
          // Without trials to set it, base.yaml must name the pipeline.
          if (trialList) this.missingPipelineType(s.kind === "map" ? s : baseMap, "base.yaml");
        });
      }
      return;
    }
    for (const [i, trial] of trialList.entries()) {
      this.options.cancel?.(() => `at trial ${i + 1} of ${trialList.length}`);
      const settingsEntry = trial.entries.get("settings");
      const trialSettings = settingsEntry?.value;
      // As the framework merges: a null or non-mapping trial `settings` keeps base.yaml as is.
      const trialMap = trialSettings?.kind === "map" ? trialSettings : undefined;
      const shared = baseMap ? mergeLocated(baseMap, trialMap) : undefined;
      const merged: LValue = shared
        ? this.options.copyMergedSettings
          ? fullCopy(shared)
          : shared
        : (trialMap ?? { kind: "scalar", value: null, file: trial.file, start: trial.start, end: trial.start });
      const name = plain(
        trial.entries.get("name")?.value ?? { kind: "scalar", value: null, file: trial.file, start: 0, end: 0 },
      );
      const label = typeof name === "string" ? `trial '${name}'` : "this trial";
      const sweep = trial.entries.get("sweep");
      if (sweep) {
        const pipelineType = this.pipelineTypeOf(merged);
        checkSweep(this, sweep.value, merged, pipelineType?.params, pipelineType?.metrics);
      }
      this.checkSettings(merged, `the settings of ${label}`, () => {
        // Without base.yaml (an editor with a lone trials file) the type may well be set there.
        if (!base) return;
        // Report where the user would add it: the trial's own settings (or the trial itself).
        const target = trialSettings?.kind === "map" ? trialSettings : trial;
        const pipeline = trialSettings?.kind === "map" ? trialSettings.entries.get("pipeline")?.value : undefined;
        if (pipeline?.kind === "map") this.missingPipelineType(pipeline, label, true);
        else this.missingPipelineTypeOnTrial(target, label, trialSettings?.kind === "map");
      });
    }
  }

  /** The registered pipeline type merged settings name, if any (no report: checkSettings does that). */
  private pipelineTypeOf(merged: LValue): ValidatedType | undefined {
    const pipeline = merged.kind === "map" ? merged.entries.get("pipeline")?.value : undefined;
    const type = pipeline?.kind === "map" ? plain(pipeline.entries.get("type")?.value ?? pipeline) : undefined;
    return typeof type === "string" ? this.registry.get("pipeline", type) : undefined;
  }

  private missingPipelineType(map: LMap, where: string, isPipelineMap = false): void {
    if (isPipelineMap || map.entries.get("pipeline")?.value.kind === "map") {
      const pipeline = isPipelineMap ? map : (map.entries.get("pipeline")!.value as LMap);
      this.missingKey(
        pipeline,
        "type",
        PIPELINE_KEYS.type,
        `Missing 'pipeline.type' for ${where}: name the registered pipeline to run (in base.yaml or the trial's settings).`,
      );
      return;
    }
    this.missingKey(
      map,
      "pipeline",
      SETTINGS_KEYS.pipeline,
      `Missing 'pipeline' (with its 'type') for ${where}.`,
      true,
    );
  }

  private missingPipelineTypeOnTrial(target: LMap, label: string, isSettings: boolean): void {
    const message = `Missing 'pipeline.type' for ${label}: neither base.yaml nor the trial's settings name the pipeline to run.`;
    if (isSettings) {
      this.missingKey(target, "pipeline", SETTINGS_KEYS.pipeline, message, true);
    } else {
      const nameEntry = target.entries.get("name");
      if (nameEntry)
        this.out.onValue(nameEntry.value, "error", "missing-key", message, { missingKey: "pipeline.type" });
      else
        this.out.add(target.file, target.start, target.end, "error", "missing-key", message, {
          missingKey: "pipeline.type",
        });
    }
  }

  /** trials.yaml: a top-level list of trial mappings with unique names. */
  trialEntries(root: LValue): LMap[] | undefined {
    if (root.kind !== "seq") {
      if (root.kind === "scalar" && root.value === null) return [];
      const wrapped = root.kind === "map" ? root.entries.get("trials") : undefined;
      const hint = wrapped
        ? " Remove the 'trials:' key and un-indent its list."
        : " Write each trial as '- name: ...'.";
      this.out.onValue(root, "error", "trials-not-list", `trials.yaml must be a top-level list of trials.${hint}`);
      return undefined;
    }
    const trials: LMap[] = [];
    const firstByName = new Map<string, LValue>();
    for (const item of root.items) {
      if (item.kind !== "map") {
        this.out.onValue(
          item,
          "error",
          "not-a-mapping",
          "Each trial must be a mapping with 'name', 'repeat' and 'settings'.",
        );
        continue;
      }
      trials.push(item);
      this.checkMap(item, TRIAL_KEYS, "this trial", true, ["settings", "sweep"]);
      const settings = item.entries.get("settings");
      // A sweep's trials get their settings from it: `settings:` is then optional.
      if (!settings && item.entries.has("sweep")) {
        // nothing to report
      } else if (!settings)
        this.missingKey(
          item,
          "settings",
          TRIAL_KEYS.settings,
          "Missing required key 'settings' in this trial (it may be empty: 'settings: {}'; or give a 'sweep:').",
        );
      else if (settings.value.kind !== "map" && !(settings.value.kind === "scalar" && settings.value.value === null)) {
        this.out.onValue(
          settings.value,
          "error",
          "not-a-mapping",
          "'settings' must be a mapping of overrides of base.yaml (or empty).",
        );
      }
      const nameValue = item.entries.get("name")?.value;
      const name = nameValue ? plain(nameValue) : undefined;
      if (nameValue && typeof name === "string") {
        const first = firstByName.get(name);
        if (first) {
          const line = positionAt(first.file, first.start).line + 1;
          this.out.onValue(
            nameValue,
            "error",
            "duplicate-trial",
            `Duplicate trial name '${name}' (first used on line ${line}): both trials would write to the same folder.`,
          );
        } else firstByName.set(name, nameValue);
      }
    }
    return trials;
  }
}

/** Whether an `imports:` entry names a file (checked) rather than a package (left to Node). */
function isPathSpecifier(spec: string): boolean {
  return spec.startsWith(".") || spec.startsWith("/") || /^[A-Za-z]:[\\/]/.test(spec) || /\.[cm]?[jt]sx?$/.test(spec);
}

function configFolderOf(envPath: string): string {
  const dir = posix.dirname(envPath.replace(/\\/g, "/"));
  return dir === "." ? "the config folder" : dir;
}

/**
 * Located values under the framework's one merge rule (merge.ts): a merged mapping keeps each
 * key where it was last written and remembers the mappings it came from (base first), so a
 * missing key is reported in the mapping where the user would add it.
 */
const LOCATED: MergeShape<LValue> = {
  entries: (v) => (v.kind === "map" ? entryValues(v.entries) : undefined),
  get: (map, key) => (map as LMap).entries.get(key)?.value,
  items: (v) => (v.kind === "seq" ? v.items : undefined),
  map: (base, over, changed) => {
    const b = base as LMap;
    const o = over as LMap;
    // The trial's keys with their merged values, over the base's entries (shared, not copied).
    const own = new Map<string, LEntry>();
    for (const [k, value] of changed) own.set(k, { ...o.entries.get(k)!, value });
    return {
      ...o,
      entries: new OverlayEntries(b.entries, own),
      sources: [...(b.sources ?? [b]), ...(o.sources ?? [o])],
    };
  },
  list: (_base, over, items) => ({ ...(over as LSeq), items }),
  copy: (v) => v,
};

/** A mapping's key/value pairs, read lazily (the merge only walks the trial's). */
function* entryValues(entries: LEntries): Iterable<[string, LValue]> {
  for (const [k, e] of entries) yield [k, e.value];
}

/**
 * A merged value with every mapping's entries in a Map of its own: what the merge built for
 * each trial before it shared the base's entries (the reference that form is tested against).
 */
function fullCopy(value: LValue): LValue {
  if (value.kind === "seq") return { ...value, items: value.items.map(fullCopy) };
  if (value.kind !== "map") return value;
  const entries = new Map<string, LEntry>();
  for (const [k, e] of value.entries) entries.set(k, { ...e, value: fullCopy(e.value) });
  return { ...value, entries };
}

/** The framework's deep merge (base, then trial) on located values. */
export function mergeLocated(base: LValue, trial: LValue | undefined): LValue {
  return trial === undefined ? base : mergeBy(LOCATED, base, trial);
}
