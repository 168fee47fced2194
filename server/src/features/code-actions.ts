/** Quick fixes from the validator's diagnostic data: use the suggested name, add the missing key. */
import { CodeActionKind, type CodeAction, type Diagnostic } from "vscode-languageserver";
import type { ConfigDiagnostic } from "@expman/runtime/contracts";

export function quickFixes(uri: string, diagnostics: Diagnostic[]): CodeAction[] {
  const actions: CodeAction[] = [];
  for (const d of diagnostics) {
    const data = d.data as ConfigDiagnostic["data"] | undefined;
    if (!data || d.source !== "expman") continue;
    if (data.suggestion) {
      actions.push({
        title: `Replace with '${data.suggestion}'`,
        kind: CodeActionKind.QuickFix,
        diagnostics: [d],
        isPreferred: true,
        edit: { changes: { [uri]: [{ range: d.range, newText: data.suggestion }] } },
      });
    }
    if (data.missingKey && data.insertText && data.insertPosition) {
      actions.push({
        title: `Add missing key '${data.missingKey}'`,
        kind: CodeActionKind.QuickFix,
        diagnostics: [d],
        edit: {
          changes: {
            [uri]: [{ range: { start: data.insertPosition, end: data.insertPosition }, newText: data.insertText }],
          },
        },
      });
    }
  }
  return actions;
}
