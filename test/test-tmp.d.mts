/** Types of test/test-tmp.mjs (the test runners' per-run temp root). */
export declare function makeTestTmp(label: string, base?: string): string;
export declare function finishTestTmp(
  dir: string,
  options: { failed: boolean; keep?: boolean; log?: (message: string) => void },
): "kept" | "removed";
export declare function runWithTestTmp(
  label: string,
  cmd: string,
  args: string[],
  options?: {
    cwd?: string;
    base?: string;
    env?: Record<string, string>;
    keep?: boolean;
    log?: (message: string) => void;
  },
): Promise<number>;
