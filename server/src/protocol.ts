/**
 * The language server's own requests, typed once for both ends (the server, the extension,
 * the benchmark and the tests), as rust-analyzer's lsp_ext.ts does.
 */
import { RequestType0 } from "vscode-languageserver-protocol";
import type { RegistryDescription } from "@expman/runtime/contracts";

/** The registry the server sees: built-ins plus the types found by scanning the workspace. */
export const registryRequest = new RequestType0<RegistryDescription, void>("experimentManager/registry");

export interface IndexStats {
  /** Source files indexed. */
  files: number;
  /** Time the first full index took. */
  millis: number;
}
export const indexStatsRequest = new RequestType0<IndexStats, void>("experimentManager/indexStats");

export interface ServerMemory {
  heapUsed: number;
  heapTotal: number;
  rss: number;
  /** After a full garbage collection, when the server runs with --expose-gc. */
  collected: boolean;
}
/** The server's memory (a garbage collection first when possible): for soak tests. */
export const memoryRequest = new RequestType0<ServerMemory, void>("experimentManager/memory");
