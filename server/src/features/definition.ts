/** Go to definition: from a `type:` value to the class that registered it. */
import { pathToFileURL } from "node:url";
import type { Location } from "vscode-languageserver";
import type { Section } from "../sections";
import type { WorkspaceIndex } from "@expman/runtime/contracts";
import type { CursorContext } from "../yaml-context";

export function definitionAt(
  ctx: CursorContext,
  character: number,
  section: Section,
  index: WorkspaceIndex,
): Location | null {
  const shape = ctx.shape;
  if (shape.key !== "type" || character < shape.valueStart || character > shape.valueEnd) return null;
  const name = shape.value.replace(/^["']|["']$/g, "");
  const t = (section.typeKind ? index.find(section.typeKind, name) : undefined) ?? index.findAnyKind(name)[0];
  if (!t?.file) return null;
  const line = t.line ?? 0;
  const character0 = t.character ?? 0;
  const length = t.className?.length ?? 0;
  return {
    uri: pathToFileURL(t.file).toString(),
    range: { start: { line, character: character0 }, end: { line, character: character0 + length } },
  };
}
