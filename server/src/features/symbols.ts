/** Document symbols for trials.yaml: each trial, with its repeat and the keys of its settings. */
import * as YAML from "yaml";
import { SymbolKind, type DocumentSymbol } from "vscode-languageserver";
import type { TextDocument } from "vscode-languageserver-textdocument";

const MAX_DEPTH = 4;

export function trialSymbols(doc: TextDocument): DocumentSymbol[] {
  let parsed: YAML.Document;
  try {
    parsed = YAML.parseDocument(doc.getText(), { prettyErrors: false });
  } catch {
    return [];
  }
  if (!YAML.isSeq(parsed.contents)) return [];
  const symbols: DocumentSymbol[] = [];
  parsed.contents.items.forEach((item, i) => {
    if (!YAML.isMap(item) || !item.range) return;
    const name = item.get("name");
    const repeat = item.get("repeat");
    const range = rangeOf(doc, item.range);
    const nameNode = item.get("name", true) as YAML.Node | undefined;
    const children: DocumentSymbol[] = [];
    const settings = item.get("settings", true);
    if (YAML.isMap(settings)) children.push(...mapSymbols(doc, settings, 0));
    symbols.push({
      name: typeof name === "string" || typeof name === "number" ? String(name) : `trial ${i + 1}`,
      detail: repeat !== undefined ? `repeat ${String(repeat)}` : undefined,
      kind: SymbolKind.Object,
      range,
      selectionRange: nameNode?.range ? rangeOf(doc, nameNode.range) : range,
      children,
    });
  });
  return symbols;
}

function mapSymbols(doc: TextDocument, map: YAML.YAMLMap, depth: number): DocumentSymbol[] {
  const out: DocumentSymbol[] = [];
  for (const pair of map.items) {
    const key = pair.key as YAML.Node | null;
    if (!YAML.isScalar(key) || !key.range) continue;
    const value = pair.value as YAML.Node | null;
    const end = value?.range ?? key.range;
    const range = rangeOf(doc, [key.range[0], end[1]]);
    const children = YAML.isMap(value) && depth < MAX_DEPTH ? mapSymbols(doc, value, depth + 1) : [];
    out.push({
      name: String(key.value),
      detail: YAML.isScalar(value) ? String(value.value) : undefined,
      kind: YAML.isMap(value) ? SymbolKind.Namespace : YAML.isSeq(value) ? SymbolKind.Array : SymbolKind.Property,
      range,
      selectionRange: rangeOf(doc, key.range),
      children,
    });
  }
  return out;
}

function rangeOf(doc: TextDocument, r: readonly number[]) {
  return { start: doc.positionAt(r[0]), end: doc.positionAt(r[1]) };
}
