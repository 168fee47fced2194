/** The runtime's end of the control channel (contract in control.ts). */
import * as fs from "node:fs";
import * as net from "node:net";
import * as readline from "node:readline";
import type { Readable } from "node:stream";
import { parseControlMessage, type ControlMessage } from "./control";

/**
 * Reads control messages from `fd:N` (a pipe the extension opened as an extra stdio slot) and
 * calls `onMessage` for each valid one; other lines go to `onInvalid`. The reader never keeps
 * the process alive and never throws into the run (a closed pipe simply ends it).
 */
export function readControlChannel(
  spec: string,
  onMessage: (m: ControlMessage) => void,
  onInvalid: (line: string) => void = () => undefined,
): () => void {
  const match = /^fd:(\d+)$/.exec(spec);
  if (!match) throw new Error(`--control ${spec}: expected fd:N (a file descriptor the caller opened for reading)`);
  const fd = Number(match[1]);
  let stat: fs.Stats;
  try {
    stat = fs.fstatSync(fd);
  } catch {
    throw new Error(`--control ${spec}: file descriptor ${fd} is not open.`);
  }
  let input: Readable;
  if (stat.isFIFO() || stat.isSocket()) {
    const socket = new net.Socket({ fd, readable: true, writable: false });
    socket.unref();
    input = socket;
  } else {
    input = fs.createReadStream("", { fd });
  }
  input.on("error", () => undefined);
  const lines = readline.createInterface({ input });
  lines.on("line", (line) => {
    if (line.trim() === "") return;
    const message = parseControlMessage(line);
    if (message) onMessage(message);
    else onInvalid(line);
  });
  return () => {
    lines.close();
    input.destroy();
  };
}
