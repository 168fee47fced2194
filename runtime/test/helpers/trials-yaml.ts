/**
 * A long trials.yaml of plain block YAML (12 lines a trial: settings, pipeline params, a
 * callback), shared by the language-server benchmarks and the plain-YAML reader's test.
 */
export function trialsYaml(lines: number, options: { variant?: number; annotated?: boolean } = {}): string {
  const { variant = 0, annotated = false } = options;
  const out: string[] = [];
  for (let i = 0; out.length < lines; i++) {
    out.push(
      `- name: trial-${i}${variant ? `-v${variant}` : ""}`,
      `  repeat: ${1 + (i % 3)}`,
      annotated ? `  desc: "sweep point ${i}"  # quoted` : `  desc: sweep point ${i}`,
      "  settings:",
      `    seed: ${i}`,
      "    pipeline:",
      `      lr: ${(0.001 * (1 + (i % 10))).toFixed(3)}`,
      `      epochs: ${5 + (i % 5)}`,
      "      callbacks:",
      "        - type: EarlyStopping",
      `          metric: ${i % 2 ? "val_loss" : "val_acc"}`,
      `          patience: ${2 + (i % 4)}${annotated ? " # comment" : ""}`,
    );
    // Annotated: a blank line between trials too (the fast reader must keep line numbers).
    if (annotated) out.push("");
  }
  return `${out.slice(0, lines).join("\n")}\n`;
}
