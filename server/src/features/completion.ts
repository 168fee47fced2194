/** Completion: keys per section, `type:` names of the right kind, metrics, option values, snippets. */
import {
  getTrackedMetrics,
  type ParamSchema,
  type ParamsSchema,
  type RegistryKind,
  type IndexedType,
  type WorkspaceIndex,
  type SettingPath,
} from "@expman/runtime/contracts";
import {
  CompletionItemKind,
  InsertTextFormat,
  MarkupKind,
  type CompletionItem,
  type Range,
} from "vscode-languageserver";
import { metricDoc, paramDoc, typeDoc } from "../docs";
import type { Section } from "../sections";
import type { CursorContext } from "../yaml-context";
import { NEW_SWEEP_SNIPPET, sweepKeyCompletions, sweepValueCompletions } from "./sweep";

/** `sweepPaths`: the settings paths a `sweep:` of the cursor's trial may vary (features/sweep.ts). */
export function completions(
  ctx: CursorContext,
  section: Section,
  index: WorkspaceIndex,
  sweepPaths: readonly SettingPath[] = [],
): CompletionItem[] {
  const range: Range = {
    start: { line: ctx.line, character: ctx.tokenStart },
    end: { line: ctx.line, character: ctx.tokenEnd },
  };
  if (ctx.inKey)
    return sweepKeyCompletions(ctx, section, sweepPaths, range) ?? keyCompletions(ctx, section, index, range);
  return valueCompletions(ctx, section, index, range);
}

function keyCompletions(ctx: CursorContext, section: Section, index: WorkspaceIndex, range: Range): CompletionItem[] {
  const items: CompletionItem[] = [];
  const onItemStart = ctx.shape.dashes.length > 0 || ctx.siblings.size === 0;
  if (section.name === "trials-root") {
    items.push(
      snippet(
        "New trial",
        "- name: ${1:trial}\n  repeat: ${2:1}\n  settings:\n    $0",
        "A trial entry: name, repeat and settings (overrides of base.yaml).",
        ctx,
        range,
      ),
      snippet(
        "New sweep",
        NEW_SWEEP_SNIPPET,
        "A sweep entry: one trial per grid point or random draw of the settings under `params`.",
        ctx,
        range,
      ),
    );
    return items;
  }
  if (section.name === "tracker-list" || section.name === "callback-list") {
    return entrySnippets(section.typeKind!, index, ctx, range, true);
  }
  const present = new Set(ctx.siblings.keys());
  for (const [key, p] of Object.entries(section.keys)) {
    if (present.has(key) && key !== ctx.shape.key) continue;
    items.push({
      label: key,
      kind: CompletionItemKind.Property,
      detail: `${p.type}${p.required ? " (required)" : ""}`,
      documentation: { kind: MarkupKind.Markdown, value: paramDoc(key, p) },
      // On a line that already has `key:`, only the name is replaced.
      textEdit: { range, newText: ctx.shape.key !== undefined ? key : keyInsert(key, p) },
      insertTextFormat: InsertTextFormat.Snippet,
      // Required keys first, then the rest alphabetically.
      sortText: `${p.required ? "0" : "1"}${key}`,
    });
  }
  if ((section.name === "tracker-entry" || section.name === "callback-entry") && onItemStart && !present.has("type")) {
    items.push(...entrySnippets(section.typeKind!, index, ctx, range, false));
  }
  if (section.name === "trial" && ctx.shape.dashes.length === 0 && ctx.keyCol === 0) {
    items.push(
      snippet("New trial", "- name: ${1:trial}\n  repeat: ${2:1}\n  settings:\n    $0", "A trial entry.", ctx, range),
    );
  }
  return items;
}

function keyInsert(key: string, p: ParamSchema): string {
  if (p.type === "object") return `${key}:\n  $0`;
  if (p.type === "list") return `${key}:\n  - $0`;
  return `${key}: $0`;
}

/** `- type: Name` entries with their required options, one per registered type of the kind. */
function entrySnippets(
  kind: RegistryKind,
  index: WorkspaceIndex,
  ctx: CursorContext,
  range: Range,
  withDash: boolean,
): CompletionItem[] {
  const types = index.describe().types.filter((t) => t.kind === kind) as IndexedType[];
  const indent = " ".repeat(withDash ? 2 : 0);
  return types.map((t) => {
    let n = 1;
    const required = Object.entries(t.params ?? {})
      .filter(([, p]) => p.required)
      .map(([k, p]) => `\n${indent}${k}: \${${n++}:${p.default ?? placeholder(p)}}`)
      .join("");
    return {
      label: `${withDash ? "- " : ""}type: ${t.name}`,
      kind: CompletionItemKind.Snippet,
      detail: `New ${kind} entry`,
      documentation: { kind: MarkupKind.Markdown, value: typeDoc(t) },
      textEdit: { range, newText: `${withDash ? "- " : ""}type: ${t.name}${required}$0` },
      insertTextFormat: InsertTextFormat.Snippet,
      filterText: `${withDash ? "- " : ""}type: ${t.name} ${t.name}`,
      sortText: `2${t.name}`,
    };
  });
}

function placeholder(p: ParamSchema): string {
  if (p.type === "integer") return String(Math.max(1, p.minimum ?? 1));
  if (p.type === "number") return "0";
  if (p.type === "boolean") return "false";
  if (p.type === "metric") return "val_loss";
  return "";
}

function snippet(label: string, body: string, doc: string, _ctx: CursorContext, range: Range): CompletionItem {
  return {
    label,
    kind: CompletionItemKind.Snippet,
    documentation: doc,
    textEdit: { range, newText: body },
    insertTextFormat: InsertTextFormat.Snippet,
    sortText: `3${label}`,
  };
}

function valueCompletions(ctx: CursorContext, section: Section, index: WorkspaceIndex, range: Range): CompletionItem[] {
  const items = valueItems(ctx, section, index, range);
  // Right after `key:` with no space: YAML needs one before the value.
  if (ctx.shape.keyEnd !== undefined && ctx.tokenStart === ctx.shape.keyEnd + 1) {
    for (const item of items)
      if (item.textEdit && "newText" in item.textEdit) item.textEdit.newText = ` ${item.textEdit.newText}`;
  }
  return items;
}

function valueItems(ctx: CursorContext, section: Section, index: WorkspaceIndex, range: Range): CompletionItem[] {
  const sweep = sweepValueCompletions(ctx, section, range);
  if (sweep) return sweep;
  const key = ctx.key;
  if (!key) return [];
  if (key === "type" && section.typeKind) {
    return (index.describe().types.filter((t) => t.kind === section.typeKind) as IndexedType[]).map((t) => ({
      label: t.name,
      kind: t.builtin ? CompletionItemKind.Class : CompletionItemKind.Reference,
      detail: `${t.kind}${t.builtin ? " (built-in)" : t.file ? ` (${t.file.split(/[\\/]/).pop()})` : ""}`,
      documentation: { kind: MarkupKind.Markdown, value: typeDoc(t) },
      textEdit: { range, newText: t.name },
    }));
  }
  const p: ParamSchema | undefined = (section.keys as ParamsSchema)[key];
  if (!p) return [];
  if (p.type === "metric") {
    const custom = section.pipeline?.metrics ?? [];
    return [
      ...getTrackedMetrics().map((m) => ({
        label: m,
        kind: CompletionItemKind.EnumMember,
        documentation: { kind: MarkupKind.Markdown, value: metricDoc(m) },
        textEdit: { range, newText: m },
      })),
      ...custom.map((m) => ({
        label: m,
        kind: CompletionItemKind.Value,
        detail: `custom metric of ${section.pipeline!.name}`,
        textEdit: { range, newText: m },
      })),
    ];
  }
  if (p.enum)
    return p.enum.map((v) => ({
      label: String(v),
      kind: CompletionItemKind.EnumMember,
      textEdit: { range, newText: String(v) },
    }));
  if (p.type === "boolean")
    return ["true", "false"].map((v) => ({
      label: v,
      kind: CompletionItemKind.Keyword,
      textEdit: { range, newText: v },
    }));
  if (p.default !== undefined && typeof p.default !== "object") {
    return [
      {
        label: String(p.default),
        kind: CompletionItemKind.Value,
        detail: "default",
        textEdit: { range, newText: String(p.default) },
      },
    ];
  }
  return [];
}
