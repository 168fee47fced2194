/**
 * Webview entry: connects the app to the VS Code webview API. The host's messages arrive as
 * window "message" events; everything the app sends goes through acquireVsCodeApi().
 */
import "uplot/dist/uPlot.min.css";
import "./metrics.css";
import type { PersistedState, WebviewToHost } from "../../client/src/webview/contract";
import { MetricsApp } from "./app";

interface VsCodeApi {
  postMessage(message: unknown): void;
  setState(state: unknown): void;
  getState(): unknown;
}
declare function acquireVsCodeApi(): VsCodeApi;

const vscode = acquireVsCodeApi();
const root = document.getElementById("app") ?? document.body.appendChild(document.createElement("div"));
const app = new MetricsApp(root, {
  postMessage: (m: WebviewToHost) => vscode.postMessage(m),
  setState: (s: PersistedState) => vscode.setState(s),
});
window.addEventListener("message", (e: MessageEvent) => app.receive(e.data));
window.addEventListener("error", (e) => vscode.postMessage({ type: "webviewError", message: String(e.message) }));
// For the browser harness and benchmark (no effect in VS Code).
(window as unknown as { __metrics: MetricsApp }).__metrics = app;
vscode.postMessage({ type: "ready" });
