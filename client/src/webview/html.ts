/**
 * The webview's HTML: one bundled script and one stylesheet from media/dist, a strict Content
 * Security Policy (no network, scripts only with this page's nonce), nothing inline but data.
 */
import { randomBytes } from "node:crypto";

export interface HtmlInputs {
  /** webview.cspSource */
  cspSource: string;
  scriptUri: string;
  styleUri: string;
  title: string;
  nonce?: string;
}

export function makeNonce(): string {
  return randomBytes(18).toString("base64").replace(/[+/=]/g, "");
}

export function contentSecurityPolicy(cspSource: string, nonce: string): string {
  return [
    "default-src 'none'",
    `img-src ${cspSource} data: blob:`,
    `style-src ${cspSource}`,
    `font-src ${cspSource}`,
    `script-src 'nonce-${nonce}'`,
  ].join("; ");
}

function escapeHtml(s: string): string {
  return s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

export function panelHtml(inputs: HtmlInputs): string {
  const nonce = inputs.nonce ?? makeNonce();
  return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="UTF-8">
<meta http-equiv="Content-Security-Policy" content="${escapeHtml(contentSecurityPolicy(inputs.cspSource, nonce))}">
<meta name="viewport" content="width=device-width, initial-scale=1.0">
<link rel="stylesheet" href="${escapeHtml(inputs.styleUri)}">
<title>${escapeHtml(inputs.title)}</title>
</head>
<body>
<div id="app" role="main" aria-label="${escapeHtml(inputs.title)}"><p class="loading">Loading metrics…</p></div>
<script nonce="${nonce}" src="${escapeHtml(inputs.scriptUri)}"></script>
</body>
</html>
`;
}
