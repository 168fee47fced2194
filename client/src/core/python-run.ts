/**
 * Running experiments of the Python original from the editor (a folder whose pipeline is a
 * Python class, see ./python-pipeline.ts): the command the user sets
 * (`experimentManager.python.runCommand`, e.g. `python train.py ${configDir}`) becomes an argv
 * started without a shell. No `vscode` here: the wiring is in vscode/run-commands.ts.
 */

/**
 * Splits a command line into argv like a POSIX shell would for words and quotes only: no
 * variables, globs, pipes or redirections (nothing is run through a shell). `${name}`
 * placeholders are replaced inside words from `vars`; an unknown one is an error.
 */
export function commandArgv(commandLine: string, vars: Record<string, string>): string[] {
  const out: string[] = [];
  let word = "";
  let inWord = false;
  let quote: '"' | "'" | undefined;
  for (let i = 0; i < commandLine.length; i++) {
    const c = commandLine[i];
    if (quote) {
      if (c === quote) quote = undefined;
      else if (c === "\\" && quote === '"' && (commandLine[i + 1] === '"' || commandLine[i + 1] === "\\"))
        word += commandLine[++i];
      else word += c;
      continue;
    }
    if (c === '"' || c === "'") {
      quote = c;
      inWord = true;
    } else if (/\s/.test(c)) {
      if (inWord) out.push(word);
      word = "";
      inWord = false;
    } else {
      if (c === "\\" && i + 1 < commandLine.length) word += commandLine[++i];
      else word += c;
      inWord = true;
    }
  }
  if (quote) throw new Error(`Unclosed ${quote} quote in the command: ${commandLine}`);
  if (inWord) out.push(word);
  if (out.length === 0) throw new Error("The command is empty.");
  return out.map((w) =>
    w.replace(/\$\{(\w+)\}/g, (_all, name: string) => {
      if (!(name in vars))
        throw new Error(
          `Unknown placeholder \${${name}} in the command; known: ${Object.keys(vars)
            .map((k) => `\${${k}}`)
            .join(", ")}.`,
        );
      return vars[name];
    }),
  );
}
