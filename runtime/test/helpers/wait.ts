/**
 * Polls `probe` until it returns a truthy value and resolves to it; fails with `what` after
 * `timeoutMs`. Tests wait for the state they assert, not for a fixed time that a loaded machine
 * outlasts. A probe that throws (a file not written yet) counts as not yet; the last error is in
 * the timeout's message. The one definition: the rig's suites get it through test/rig/host.ts.
 */
export async function waitFor<T>(
  what: string,
  probe: () => T | undefined | Promise<T | undefined>,
  timeoutMs = 15_000,
  intervalMs = 100,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const v = await probe();
      if (v) return v;
    } catch (err) {
      last = err;
    }
    if (Date.now() > deadline) {
      throw new Error(
        `timed out after ${timeoutMs} ms waiting for ${what}${last ? ` (last error: ${String(last)})` : ""}`,
      );
    }
    await new Promise((r) => setTimeout(r, intervalMs));
  }
}
