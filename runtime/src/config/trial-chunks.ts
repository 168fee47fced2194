/**
 * A parse cache for long trials.yaml files, for callers that validate the same file again and
 * again (the language server, on every keystroke). The file is parsed trial by trial and each
 * trial's parse is kept, keyed by its text, so that after an edit only the edited trial is
 * parsed again. Only plain files qualify: anchors, aliases, tags, document markers or
 * directives need the whole document. The cache is an object its owner creates and drops;
 * the validator itself holds no state between calls.
 */
import { parseLocated, sourceFile, type LValue, type ParsedText, type SourceFile } from "./located";
import type { CancelCheck } from "./cancel";

const CHUNKING_MIN_CHARS = 8 * 1024;

function chunkable(text: string): boolean {
  if (text.length < CHUNKING_MIN_CHARS) return false;
  if (/(?:^|[\s[{,])[&*!][^\s,\]}]/.test(text)) return false; // anchors, aliases, tags
  if (/^(?:---|\.\.\.|%)/m.test(text)) return false;
  // Every line at column 0 must start a list item (or be blank or a comment).
  return !/^[^\s#-]/m.test(text) && !/^-[^\s]/m.test(text);
}

type Entry = { file: SourceFile; parsed: ParsedText };

/**
 * Keeps, per file, the trials of its last parse only: memory follows the open documents (an
 * LRU over every version ever typed grew the server from 67 to 152 MB in 600 edits).
 */
export class TrialsParseCache {
  private readonly byPath = new Map<string, Map<string, Entry>>();

  /** Forgets a file (closed in the editor). */
  forget(path: string): void {
    this.byPath.delete(path);
  }

  /**
   * The trials file parsed trial by trial (its located list and each trial's problems, with
   * the file each belongs to), or undefined when the file must be parsed whole.
   */
  parse(whole: SourceFile, cancel: CancelCheck = () => undefined): { root: LValue; parts: Entry[] } | undefined {
    const text = whole.text;
    if (!chunkable(text)) {
      this.byPath.delete(whole.path);
      return undefined;
    }
    const starts: number[] = [];
    for (let line = 0; line < whole.lineStarts.length; line++) {
      if (text.charCodeAt(whole.lineStarts[line]) === 45 /* - */) starts.push(line);
    }
    if (starts.length < 2) return undefined;
    starts[0] = 0; // leading comments belong to the first trial
    const previous = this.byPath.get(whole.path) ?? new Map<string, Entry>();
    const current = new Map<string, Entry>();
    const items: LValue[] = [];
    const parts: Entry[] = [];
    for (let i = 0; i < starts.length; i++) {
      try {
        cancel(() => `while reading trial ${i + 1} of ${starts.length}`);
      } catch (stopped) {
        // What was parsed is kept for the next try, so that edits in a row still make progress.
        this.byPath.set(whole.path, new Map([...previous, ...current]));
        throw stopped;
      }
      const from = whole.lineStarts[starts[i]];
      const to = i + 1 < starts.length ? whole.lineStarts[starts[i + 1]] : text.length;
      const chunkText = text.slice(from, to);
      // A trial written twice is parsed twice (each copy has its own lines).
      let entry = current.has(chunkText) ? undefined : previous.get(chunkText);
      if (!entry) {
        // A copy, not a slice: V8 keeps a sliced string's whole parent alive, so every cached
        // trial would pin the full text of the version it was cut from (the server's heap
        // grew with each edit until every trial had been parsed again).
        const file = sourceFile(whole.role, whole.path, Buffer.from(chunkText, "utf8").toString("utf8"), starts[i]);
        entry = { file, parsed: parseLocated(file) };
      }
      if (!current.has(chunkText)) current.set(entry.file.text, entry);
      entry.file.lineOffset = starts[i];
      const root = entry.parsed.root;
      if (!root || root.kind !== "seq") {
        if (entry.parsed.problems.length === 0) return undefined; // not what it seemed: parse it whole
      } else items.push(...root.items);
      parts.push(entry);
    }
    this.byPath.set(whole.path, current);
    return { root: { kind: "seq", items, file: whole, start: 0, end: text.length }, parts };
  }
}
