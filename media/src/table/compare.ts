/**
 * "Compare settings" of two runs: the settings whose values differ in the merged config each
 * run used (env, experiment, base and the trial's settings), side by side.
 */
import type { ComparisonMessage } from "../../../client/src/webview/contract";
import { formatCell } from "../logic/table";
import { el } from "../ui/dom";

function shown(v: unknown): string {
  return v === undefined ? "(not set)" : formatCell(v);
}

export function renderComparison(m: ComparisonMessage, a: string, b: string, close: () => void): HTMLElement {
  const closeButton = el("button", { type: "button", class: "icon", "aria-label": "Close the comparison" }, "×");
  closeButton.addEventListener("click", close);
  const heading = el("h3", {}, `Settings: ${a} vs ${b}`, closeButton);
  if (m.error) return el("section", { class: "compare" }, heading, el("p", { class: "notice error" }, m.error));
  const summary = el(
    "p",
    { class: "compare-summary" },
    m.differences.length === 0
      ? `No setting differs (${m.same} the same).`
      : `${m.differences.length} setting${m.differences.length === 1 ? "" : "s"} differ, ${m.same} the same.`,
  );
  if (m.differences.length === 0) return el("section", { class: "compare" }, heading, summary);
  const rows = m.differences.map((d) =>
    el(
      "tr",
      {},
      el("th", { scope: "row" }, d.path),
      el("td", { class: d.a === undefined ? "missing" : "" }, shown(d.a)),
      el("td", { class: d.b === undefined ? "missing" : "" }, shown(d.b)),
    ),
  );
  const table = el(
    "table",
    { class: "compare-table" },
    el(
      "thead",
      {},
      el("tr", {}, el("th", { scope: "col" }, "Setting"), el("th", { scope: "col" }, a), el("th", { scope: "col" }, b)),
    ),
    el("tbody", {}, ...rows),
  );
  return el("section", { class: "compare" }, heading, summary, table);
}
