/** Where each trial of a trials.yaml is named (for a "Run Trial" lens on its line). No `vscode`. */
import { isMap, isScalar, isSeq, LineCounter, parseDocument } from "yaml";

export interface TrialLocation {
  name: string;
  /** 0-based line of the trial's `name:` value. */
  line: number;
}

/** Trials with a string `name:`, in file order; anything unparsable simply yields fewer. */
export function trialLocations(text: string): TrialLocation[] {
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { lineCounter });
  if (!isSeq(doc.contents)) return [];
  const out: TrialLocation[] = [];
  for (const item of doc.contents.items) {
    if (!isMap(item)) continue;
    const pair = item.items.find((p) => isScalar(p.key) && p.key.value === "name");
    const value = pair?.value;
    if (!isScalar(value) || typeof value.value !== "string" || !value.range) continue;
    out.push({ name: value.value, line: lineCounter.linePos(value.range[0]).line - 1 });
  }
  return out;
}
