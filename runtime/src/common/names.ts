/**
 * Names that become paths (trial folders, database files): a name is one path segment inside
 * the folder it is meant for, never a way out of it (issue 13.4). The validator reports a bad
 * name with the reason; where the runtime builds a path from a name it checks again, so a name
 * that reached it by another way (the API, a pipeline) still cannot write outside.
 */
import * as path from "node:path";

/** Longest name accepted: folder names stay well under file systems' 255-byte limit. */
export const MAX_NAME_LENGTH = 100;

/** Why `name` cannot be used as a file or folder name, or undefined when it can. */
export function fileNameProblem(name: string): string | undefined {
  if (name.trim() === "") return "is empty";
  if (name === "." || name === "..")
    return "names a folder itself ('.' is this folder, '..' its parent), not a new one";
  // eslint-disable-next-line no-control-regex
  if (/[\u0000-\u001f\u007f]/.test(name)) return "contains a control character (such as NUL or a newline)";
  if (/[/\\]/.test(name)) return "contains a path separator ('/' or '\\'); it must be a single name, not a path";
  if (/[<>:"|?*]/.test(name)) return `contains one of < > : " | ? * (not allowed in file names on Windows)`;
  if (name.length > MAX_NAME_LENGTH) return `is ${name.length} characters long; at most ${MAX_NAME_LENGTH} are allowed`;
  if (name !== name.trim()) return "starts or ends with a space";
  return undefined;
}

/** `<parent>/<name>`, refusing a name that is not a single safe segment (see fileNameProblem). */
export function childPath(parent: string, name: string, what: string): string {
  const problem = fileNameProblem(name);
  if (problem) throw new Error(`The ${what} ${JSON.stringify(name)} ${problem}.`);
  const root = path.resolve(parent);
  const child = path.resolve(root, name);
  // Defence in depth: a single safe segment always resolves to a direct child.
  if (path.dirname(child) !== root) throw new Error(`The ${what} ${JSON.stringify(name)} would leave ${root}.`);
  return child;
}
