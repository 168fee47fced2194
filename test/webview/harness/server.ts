/**
 * Serves the harness page on 127.0.0.1: the panel's real HTML (client/src/webview/html.ts, same
 * CSP and nonce scheme, cspSource = this origin) with the harness host script placed before the
 * bundled webview script (built with build.mjs's webview options into a folder of its own).
 */
import { createServer, type Server } from "node:http";
import { readFile } from "node:fs/promises";
import { join, normalize, resolve } from "node:path";
import { pathToFileURL } from "node:url";
import * as esbuild from "esbuild";
import { makeNonce, panelHtml } from "../../../client/src/webview/html";

const ROOT = resolve(__dirname, "../../..");

/**
 * Builds the webview with build.mjs's options and the harness host into `outdir`: a folder of
 * the caller's own, so neither `node build.mjs media` nor another suite building at the same
 * time (the unit runner runs test files in parallel) can rewrite a bundle a page is loading.
 */
export async function buildBundles(outdir: string): Promise<void> {
  const { webviewBuildOptions } = (await import(pathToFileURL(join(ROOT, "build.mjs")).href)) as {
    webviewBuildOptions(outdir: string): esbuild.BuildOptions;
  };
  await esbuild.build(webviewBuildOptions(join(outdir, "media")));
  await esbuild.build({
    entryPoints: { host: join(ROOT, "test/webview/harness/host.ts") },
    outdir,
    bundle: true,
    format: "iife",
    platform: "browser",
    target: ["chrome120"],
    logLevel: "warning",
  });
}

const TYPES: Record<string, string> = { ".js": "text/javascript", ".css": "text/css", ".map": "application/json" };

export interface HarnessServer {
  url: string;
  server: Server;
  close(): Promise<void>;
}

/** Serves the page and the bundles that buildBundles(`dist`) wrote. */
export async function startHarnessServer(dist: string): Promise<HarnessServer> {
  const server = createServer(async (req, res) => {
    const url = new URL(req.url ?? "/", "http://127.0.0.1");
    try {
      if (url.pathname === "/favicon.ico") {
        res.writeHead(204).end();
        return;
      }
      if (url.pathname === "/" || url.pathname === "/index.html") {
        const nonce = makeNonce();
        const origin = `http://${req.headers.host}`;
        let html = panelHtml({
          cspSource: origin,
          scriptUri: "/media/dist/metrics.js",
          styleUri: "/media/dist/metrics.css",
          title: "Metrics harness",
          nonce,
        });
        html = html
          .replace("<body>", '<body class="vscode-dark">')
          .replace("<link rel=", `<link rel="stylesheet" href="/harness/theme-dark.css">\n<link rel=`)
          .replace(
            `<script nonce="${nonce}"`,
            `<script nonce="${nonce}" src="/harness/dist/host.js"></script>\n<script nonce="${nonce}"`,
          );
        res.writeHead(200, { "content-type": "text/html; charset=utf-8" });
        res.end(html);
        return;
      }
      const map: [string, string][] = [
        ["/media/dist/", join(dist, "media")],
        ["/harness/dist/", dist],
        ["/harness/", join(ROOT, "test/webview/harness")],
      ];
      for (const [prefix, dir] of map) {
        if (!url.pathname.startsWith(prefix)) continue;
        const file = normalize(join(dir, url.pathname.slice(prefix.length)));
        if (!file.startsWith(dir)) break;
        const body = await readFile(file);
        const ext = file.slice(file.lastIndexOf("."));
        res.writeHead(200, { "content-type": TYPES[ext] ?? "application/octet-stream" });
        res.end(body);
        return;
      }
      res.writeHead(404).end();
    } catch {
      res.writeHead(404).end();
    }
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  const address = server.address();
  const port = typeof address === "object" && address ? address.port : 0;
  return {
    url: `http://127.0.0.1:${port}/`,
    server,
    close: () => new Promise<void>((r) => server.close(() => r())),
  };
}
