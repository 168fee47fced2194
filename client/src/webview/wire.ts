/**
 * Helpers on the panel contract's values, for the host side and the harness: a panel's
 * identity (selectionKey) and the packing of a results-contract Series for postMessage.
 */
import type { Series } from "@expman/runtime/contracts";
import { nonFiniteValue } from "../../../runtime/src/common/non-finite";
import type { PanelSelection, WireSeries } from "./contract";

/** Identity of a panel: the same selection reveals the same panel. */
export function selectionKey(s: PanelSelection): string {
  const db = s.db ?? "";
  if (s.kind === "experiment") return `${db}#experiment:${s.experimentId}`;
  return `${db}#runs:${[...new Set(s.runIds)].sort((a, b) => a - b).join(",")}`;
}

/** Packs a Series' columns into Float64Arrays (null -> NaN, or ±Infinity per nonFinite). */
export function packSeries(s: Series): WireSeries {
  const n = s.steps.length;
  const values = new Float64Array(n);
  const nf = s.nonFinite;
  for (let i = 0; i < n; i++) {
    const v = s.values[i];
    if (v !== null) values[i] = v;
    else {
      values[i] = nonFiniteValue(nf?.[i]);
    }
  }
  const { nonFinite: _dropped, ...rest } = s;
  return { ...rest, steps: Float64Array.from(s.steps), values, times: Float64Array.from(s.times) };
}
