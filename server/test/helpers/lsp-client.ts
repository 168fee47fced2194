/**
 * The one real LSP client of the tests and the benchmarks: builds the server bundle, starts it
 * (or another language server, for comparison) as its own process over stdio and speaks the
 * protocol through vscode-languageserver-protocol.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import {
  createProtocolConnection,
  StreamMessageReader,
  StreamMessageWriter,
  type ProtocolConnection,
} from "vscode-languageserver-protocol/node";
import type { Diagnostic, InitializeResult } from "vscode-languageserver-protocol";

let built: Promise<string> | undefined;

/** Builds the bundle once per test process, into a private temp file (tests run in parallel). */
export function serverBundle(): Promise<string> {
  built ??= (async () => {
    // @ts-expect-error: an .mjs build script without types
    const { buildServer } = await import("../../../build.mjs");
    const dir = mkdtempSync(join(tmpdir(), "expman-ls-"));
    process.once("exit", () => rmSync(dir, { recursive: true, force: true }));
    const out = join(dir, "server.js");
    return (await buildServer({ outfile: out })) as string;
  })();
  return built;
}

export const uriOf = (file: string): string => pathToFileURL(file).toString();

interface PublishedDiagnostics {
  uri: string;
  version?: number;
  diagnostics: Diagnostic[];
}

export interface StartOptions {
  initializationOptions?: unknown;
  /** Offer client-side file watching (the server then registers watchers); default true. */
  watch?: boolean;
  /** Node flags before the bundle (e.g. --max-old-space-size). */
  nodeArgs?: string[];
  /** Another server's command line instead of the bundle (e.g. yaml-language-server). */
  command?: string[];
  /** Added to the environment of the server process. */
  env?: Record<string, string>;
  /**
   * When given (also as null), the client offers workspace/configuration, answers every item
   * with this value and, when it is not null, sends it as workspace/didChangeConfiguration.
   */
  configuration?: unknown;
}

export class LspClient {
  readonly connection: ProtocolConnection;
  readonly diagnostics = new Map<string, PublishedDiagnostics>();
  readonly logs: string[] = [];
  private waiters: Array<{ check: () => boolean; resolve: () => void }> = [];
  private versions = new Map<string, number>();
  initializeResult: InitializeResult | undefined;
  /** Called on every publishDiagnostics, in order (tests that check what came when). */
  onPublish: ((p: PublishedDiagnostics) => void) | undefined;

  private constructor(
    readonly child: ChildProcess,
    configuration: unknown,
  ) {
    this.connection = createProtocolConnection(
      new StreamMessageReader(child.stdout!),
      new StreamMessageWriter(child.stdin!),
    );
    this.connection.onNotification("textDocument/publishDiagnostics", (p: PublishedDiagnostics) => {
      this.diagnostics.set(p.uri, p);
      this.onPublish?.(p);
      this.notify();
    });
    this.connection.onNotification("window/logMessage", (p: { message: string }) => {
      this.logs.push(p.message);
      this.notify();
    });
    this.connection.onRequest("client/registerCapability", () => null);
    this.connection.onRequest("workspace/configuration", (p: { items: unknown[] }) =>
      p.items.map(() => configuration ?? null),
    );
    this.connection.listen();
  }

  static async start(root: string, options: StartOptions = {}): Promise<LspClient> {
    const command = options.command ?? [process.execPath, ...(options.nodeArgs ?? []), await serverBundle(), "--stdio"];
    const child = spawn(command[0], command.slice(1), {
      stdio: ["pipe", "pipe", "pipe"],
      env: options.env ? { ...process.env, ...options.env } : process.env,
    });
    child.stderr!.on("data", () => undefined);
    const configures = "configuration" in options;
    const client = new LspClient(child, configures ? options.configuration : null);
    client.initializeResult = await client.connection.sendRequest("initialize", {
      processId: process.pid,
      rootUri: uriOf(root),
      workspaceFolders: [{ uri: uriOf(root), name: "ws" }],
      initializationOptions: options.initializationOptions,
      capabilities: {
        workspace: {
          didChangeWatchedFiles: { dynamicRegistration: options.watch !== false },
          configuration: configures,
          ...(configures ? { didChangeConfiguration: { dynamicRegistration: true } } : {}),
        },
        textDocument: {
          publishDiagnostics: { versionSupport: true },
          completion: { completionItem: { snippetSupport: true } },
        },
      },
    });
    await client.connection.sendNotification("initialized", {});
    if (configures && options.configuration)
      await client.connection.sendNotification("workspace/didChangeConfiguration", {
        settings: options.configuration,
      });
    return client;
  }

  private notify(): void {
    this.waiters = this.waiters.filter((w) => {
      if (!w.check()) return true;
      w.resolve();
      return false;
    });
  }

  /** Resolves once the server has logged a line matching `pattern`; rejects after ms. */
  waitForLog(pattern: RegExp, what: string, ms = 10_000): Promise<void> {
    return this.waitFor(() => this.logs.some((l) => pattern.test(l)), what, ms);
  }

  /** Resolves when `check` holds (checked on every diagnostics and log notification); rejects after ms. */
  waitFor(check: () => boolean, what: string, ms = 10_000): Promise<void> {
    if (check()) return Promise.resolve();
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`timed out waiting for ${what}`)), ms);
      this.waiters.push({ check, resolve: () => (clearTimeout(timer), resolve()) });
    });
  }

  async open(file: string, text: string, languageId = "yaml"): Promise<string> {
    const uri = uriOf(file);
    this.versions.set(uri, 1);
    this.diagnostics.delete(uri);
    await this.connection.sendNotification("textDocument/didOpen", {
      textDocument: { uri, languageId, version: 1, text },
    });
    return uri;
  }

  /** Replaces the whole text (a full-content change) and returns the new version. */
  async change(uri: string, text: string): Promise<number> {
    const version = (this.versions.get(uri) ?? 1) + 1;
    this.versions.set(uri, version);
    await this.connection.sendNotification("textDocument/didChange", {
      textDocument: { uri, version },
      contentChanges: [{ text }],
    });
    return version;
  }

  /** An incremental change: replace `range` with `text`. */
  async edit(
    uri: string,
    range: { start: { line: number; character: number }; end: { line: number; character: number } },
    text: string,
  ): Promise<number> {
    const version = (this.versions.get(uri) ?? 1) + 1;
    this.versions.set(uri, version);
    await this.connection.sendNotification("textDocument/didChange", {
      textDocument: { uri, version },
      contentChanges: [{ range, text }],
    });
    return version;
  }

  async close(uri: string): Promise<void> {
    await this.connection.sendNotification("textDocument/didClose", { textDocument: { uri } });
  }

  /** The diagnostics published for `uri` at `version` (or later). */
  async diagnosticsFor(uri: string, version = this.versions.get(uri) ?? 1): Promise<Diagnostic[]> {
    await this.waitFor(
      () => (this.diagnostics.get(uri)?.version ?? -1) >= version,
      `diagnostics of ${uri} v${version}`,
    );
    return this.diagnostics.get(uri)!.diagnostics;
  }

  request<R>(method: string, params: unknown): Promise<R> {
    return this.connection.sendRequest(method, params) as Promise<R>;
  }

  async stop(): Promise<void> {
    try {
      await Promise.race([this.connection.sendRequest("shutdown"), new Promise((r) => setTimeout(r, 2000))]);
      await this.connection.sendNotification("exit");
    } catch {
      // already gone
    }
    this.connection.dispose();
    if (this.child.exitCode === null) {
      await new Promise<void>((resolve) => {
        const t = setTimeout(() => {
          this.child.kill("SIGKILL");
          resolve();
        }, 2000);
        this.child.once("exit", () => (clearTimeout(t), resolve()));
      });
    }
  }
}
