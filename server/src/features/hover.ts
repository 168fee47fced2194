/** Hover: docs for keys, registered types (with their source file) and metric names. */
import { parseMetric, type ParamSchema, type WorkspaceIndex } from "@expman/runtime/contracts";
import { MarkupKind, type Hover } from "vscode-languageserver";
import { metricDoc, paramDoc, typeDoc } from "../docs";
import type { Section } from "../sections";
import type { CursorContext } from "../yaml-context";

export function hoverAt(ctx: CursorContext, character: number, section: Section, index: WorkspaceIndex): Hover | null {
  const shape = ctx.shape;
  if (shape.key === undefined) return null;
  const line = ctx.line;
  if (character >= shape.keyStart! && character <= shape.keyEnd!) {
    const p: ParamSchema | undefined = section.keys[shape.key];
    if (!p) return null;
    return {
      contents: { kind: MarkupKind.Markdown, value: paramDoc(shape.key, p) },
      range: { start: { line, character: shape.keyStart! }, end: { line, character: shape.keyEnd! } },
    };
  }
  if (character < shape.valueStart || character > shape.valueEnd) return null;
  const value = shape.value.replace(/^["']|["']$/g, "");
  const range = { start: { line, character: shape.valueStart }, end: { line, character: shape.valueEnd } };
  if (shape.key === "type" && section.typeKind) {
    const t = index.find(section.typeKind, value);
    if (t) return { contents: { kind: MarkupKind.Markdown, value: typeDoc(t) }, range };
    const others = index.findAnyKind(value);
    if (others.length)
      return {
        contents: {
          kind: MarkupKind.Markdown,
          value: `${typeDoc(others[0])}\n\n_This is a ${others[0].kind}, not a ${section.typeKind}._`,
        },
        range,
      };
    return null;
  }
  const p: ParamSchema | undefined = section.keys[shape.key];
  if (p?.type === "metric") {
    const metric = parseMetric(value);
    if (metric) return { contents: { kind: MarkupKind.Markdown, value: metricDoc(metric) }, range };
    if (section.pipeline?.metrics?.includes(value)) {
      return {
        contents: {
          kind: MarkupKind.Markdown,
          value: `**${value}**: custom metric declared by ${section.pipeline.name}.`,
        },
        range,
      };
    }
  }
  return null;
}
