/**
 * The editor's help with `sweep:` in trials.yaml: completion of the settings paths a sweep can
 * vary (from base.yaml merged with the trial's own settings, and the pipeline's declared
 * parameters), of the distributions and their arguments, and the CodeLens that says what each
 * sweep plans. The rules themselves live in the runtime (config/sweep.ts), shared with
 * `expman validate`.
 */
import {
  plannedCounts,
  readConfigValue,
  SWEEP_DISTRIBUTION_NAMES,
  SWEEP_DISTRIBUTIONS,
  sweepSummaries,
  type SettingPath,
  type SweepDistributionName,
} from "@expman/runtime/contracts";
import {
  CompletionItemKind,
  InsertTextFormat,
  MarkupKind,
  type CodeLens,
  type CompletionItem,
  type Range,
} from "vscode-languageserver";
import type { Section } from "../sections";
import type { CursorContext } from "../yaml-context";

/** A distribution with placeholders for its arguments, as the value of a parameter. */
function distributionSnippet(name: SweepDistributionName): string {
  return name === "choice" ? "choice: [${1:a}, ${2:b}]" : `${name}: [\${1:low}, \${2:high}]`;
}

function distributionDoc(name: SweepDistributionName): string {
  const d = SWEEP_DISTRIBUTIONS[name];
  return `\`${name}: ${d.args}\`\n\n${d.description}`;
}

function brief(value: unknown): string {
  const text = JSON.stringify(value);
  return text === undefined ? "" : text.length > 40 ? `${text.slice(0, 37)}...` : text;
}

/** Key completion inside `sweep:` (paths under `params:`, distributions under a path); undefined elsewhere. */
export function sweepKeyCompletions(
  ctx: CursorContext,
  section: Section,
  paths: readonly SettingPath[],
  range: Range,
): CompletionItem[] | undefined {
  if (section.name === "sweep-params") {
    const present = new Set(ctx.siblings.keys());
    return paths
      .filter((p) => !present.has(p.path) || p.path === ctx.shape.key)
      .map((p) => ({
        label: p.path,
        kind: CompletionItemKind.Property,
        detail: p.value === undefined ? "declared parameter" : `now ${brief(p.value)}`,
        documentation: {
          kind: MarkupKind.Markdown,
          value: `Sweep \`${p.path}\`: give a list of values (\`[0.01, 0.1]\`) or a distribution (${SWEEP_DISTRIBUTION_NAMES.map((n) => `\`${n}\``).join(", ")}).`,
        },
        textEdit: { range, newText: ctx.shape.key !== undefined ? p.path : `${p.path}: $0` },
        insertTextFormat: InsertTextFormat.Snippet,
        // Values before mappings (a sweep varies values), then by depth and name.
        sortText: `${p.isMap ? 1 : 0}${String(p.path.split(".").length).padStart(2, "0")}${p.path}`,
      }));
  }
  if (section.name === "sweep-distribution") {
    // One distribution per parameter.
    if ([...ctx.siblings.keys()].some((k) => k !== ctx.shape.key)) return [];
    return SWEEP_DISTRIBUTION_NAMES.map((name, i) => ({
      label: name,
      kind: CompletionItemKind.Function,
      detail: SWEEP_DISTRIBUTIONS[name].args,
      documentation: { kind: MarkupKind.Markdown, value: distributionDoc(name) },
      textEdit: { range, newText: ctx.shape.key !== undefined ? name : distributionSnippet(name) },
      insertTextFormat: InsertTextFormat.Snippet,
      sortText: String(i),
    }));
  }
  return undefined;
}

/** Value completion of a parameter (`optimizer.lr: |`) or a distribution's arguments; undefined elsewhere. */
export function sweepValueCompletions(
  ctx: CursorContext,
  section: Section,
  range: Range,
): CompletionItem[] | undefined {
  if (section.name === "sweep-params" && ctx.key) {
    return [
      {
        label: "[a, b, ...]",
        kind: CompletionItemKind.Value,
        detail: "values",
        documentation: "The values to try: every one in a grid, one drawn per sample in a random sweep.",
        textEdit: { range, newText: "[${1:a}, ${2:b}]" },
        insertTextFormat: InsertTextFormat.Snippet,
        sortText: "0",
      },
      ...SWEEP_DISTRIBUTION_NAMES.map((name, i) => ({
        label: `{ ${name}: ${SWEEP_DISTRIBUTIONS[name].args} }`,
        kind: CompletionItemKind.Function,
        detail: name,
        documentation: { kind: MarkupKind.Markdown, value: distributionDoc(name) },
        filterText: name,
        textEdit: { range, newText: `{ ${distributionSnippet(name)} }` },
        insertTextFormat: InsertTextFormat.Snippet,
        sortText: String(i + 1),
      })),
    ];
  }
  if (section.name === "sweep-distribution" && ctx.key && (SWEEP_DISTRIBUTION_NAMES as string[]).includes(ctx.key)) {
    const name = ctx.key as SweepDistributionName;
    return [
      {
        label: SWEEP_DISTRIBUTIONS[name].args,
        kind: CompletionItemKind.Value,
        documentation: { kind: MarkupKind.Markdown, value: distributionDoc(name) },
        textEdit: { range, newText: name === "choice" ? "[${1:a}, ${2:b}]" : "[${1:low}, ${2:high}]" },
        insertTextFormat: InsertTextFormat.Snippet,
      },
    ];
  }
  return undefined;
}

/** A new sweep entry, offered with "New trial" at the top level of trials.yaml. */
export const NEW_SWEEP_SNIPPET =
  "- name: ${1:sweep}\n  repeat: ${2:1}\n  sweep:\n    method: ${3|grid,random|}\n    params:\n      ${4:optimizer.lr}: [${5:0.01, 0.1}]\n$0";

function plural(n: number, what: string): string {
  return `${n} ${what}${n === 1 ? "" : "s"}`;
}

/**
 * The CodeLens on each `sweep:` of a trials.yaml text: the trials and runs it plans, and what
 * the whole file plans. Plain text (no command): what a sweep costs, before anything runs.
 */
export function sweepLenses(path: string, text: string): CodeLens[] {
  // Most trials files have no sweep: no parse for them.
  if (!/^[\s-]*sweep\s*:/m.test(text)) return [];
  const sweeps = sweepSummaries(path, text);
  if (sweeps.length === 0) return [];
  const total = plannedCounts(readConfigValue("trials", path, text));
  return sweeps.map((s) => {
    const title =
      s.trials === undefined || s.runs === undefined
        ? `Sweep '${s.name}': fix its problems to see what it plans`
        : `Sweep '${s.name}': ${plural(s.trials, "trial")} × ${plural(s.repeat ?? 0, "repeat")} = ${plural(s.runs, "run")} · this file plans ${plural(total.runs, "run")}`;
    return {
      range: { start: { line: s.line, character: 0 }, end: { line: s.line, character: 0 } },
      command: { title, command: "" },
    };
  });
}
