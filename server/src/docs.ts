/** Markdown for keys, types and metrics, shared by completion documentation and hover. */
import {
  getMetricCategory,
  MetricCategory,
  type Metric,
  type ParamSchema,
  type IndexedType,
} from "@expman/runtime/contracts";
import { pathToFileURL } from "node:url";

export function paramDoc(key: string, p: ParamSchema): string {
  const facts: string[] = [`\`${p.type}\``];
  if (p.required) facts.push("required");
  if (p.default !== undefined) facts.push(`default \`${JSON.stringify(p.default)}\``);
  if (p.enum) facts.push(`one of ${p.enum.map((v) => `\`${v}\``).join(", ")}`);
  if (p.minimum !== undefined) facts.push(`>= ${p.minimum}`);
  if (p.maximum !== undefined) facts.push(`<= ${p.maximum}`);
  return `**${key}** (${facts.join(", ")})${p.description ? `\n\n${p.description}` : ""}`;
}

export function typeDoc(t: IndexedType): string {
  const parts = [`**${t.name}** (${t.kind}${t.builtin ? ", built-in" : ""})`];
  if (t.description) parts.push(t.description);
  if (t.file) {
    const uri = pathToFileURL(t.file).toString();
    parts.push(
      `Defined in [${t.file.split(/[\\/]/).pop()}${t.line !== undefined ? `:${t.line + 1}` : ""}](${uri}${t.line !== undefined ? `#L${t.line + 1}` : ""})`,
    );
  }
  const params = Object.entries(t.params ?? {});
  if (params.length)
    parts.push(
      params
        .map(
          ([k, p]) =>
            `- \`${k}\`: ${p.type}${p.required ? " (required)" : p.default !== undefined ? ` = ${JSON.stringify(p.default)}` : ""}${p.description ? `: ${p.description}` : ""}`,
        )
        .join("\n"),
    );
  if (t.metrics?.length) parts.push(`Custom metrics: ${t.metrics.map((m) => `\`${m}\``).join(", ")}`);
  return parts.join("\n\n");
}

export function metricDoc(metric: Metric): string {
  const tracked = getMetricCategory(metric) === MetricCategory.TRACKED;
  return `**${metric}** (Metric.${metric.toUpperCase()}): ${tracked ? "tracked: reaches every tracker and callback." : "untracked: reaches callbacks only, never trackers."}`;
}
