/** Starts the YAML language server (server/out/server.js, native-free) over IPC. */
import {
  LanguageClient,
  TransportKind,
  type LanguageClientOptions,
  type ServerOptions,
} from "vscode-languageclient/node";
import type { Ctx } from "./ctx";

export async function startLanguageClient(ctx: Ctx): Promise<LanguageClient> {
  const module = ctx.extension.asAbsolutePath("server/out/server.js");
  const serverOptions: ServerOptions = {
    run: { module, transport: TransportKind.ipc },
    debug: { module, transport: TransportKind.ipc, options: { execArgv: ["--nolazy", "--inspect=6019"] } },
  };
  const clientOptions: LanguageClientOptions = {
    documentSelector: [{ scheme: "file", language: "yaml" }],
    initializationOptions: { configGlobs: ctx.settings.configGlobs },
    synchronize: { configurationSection: "experimentManager" },
    outputChannelName: "Experiment Manager Language Server",
  };
  const client = new LanguageClient(
    "experimentManager",
    "Experiment Manager Language Server",
    serverOptions,
    clientOptions,
  );
  ctx.extension.subscriptions.push({ dispose: () => void client.stop().catch(() => undefined) });
  try {
    await client.start();
  } catch (e) {
    // Authoring help is lost, running and the tree still work.
    void ctx.notify(
      "error",
      `The Experiment Manager language server did not start: ${e instanceof Error ? e.message : String(e)}`,
    );
  }
  return client;
}
