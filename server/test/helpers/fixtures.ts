import { cpSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

export const FIXTURES = join(__dirname, "..", "..", "..", "test", "fixtures", "server");

/** A private copy of a fixture workspace (tests edit files on disk). */
export function copyFixture(name: string): {
  root: string;
  read: (rel: string) => string;
  path: (rel: string) => string;
  dispose: () => void;
} {
  const root = mkdtempSync(join(tmpdir(), `expman-${name}-`));
  cpSync(join(FIXTURES, name), root, { recursive: true });
  return {
    root,
    path: (rel) => join(root, rel),
    read: (rel) => readFileSync(join(root, rel), "utf8"),
    dispose: () => rmSync(root, { recursive: true, force: true }),
  };
}

/** The position of `needle` in `text` (0-based line/character), plus `delta` characters. */
export function positionOf(text: string, needle: string, delta = 0): { line: number; character: number } {
  const at = text.indexOf(needle);
  if (at < 0) throw new Error(`'${needle}' not in text`);
  const before = text.slice(0, at + delta);
  const line = before.split("\n").length - 1;
  return { line, character: before.length - (before.lastIndexOf("\n") + 1) };
}
