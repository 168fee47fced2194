/**
 * Helpers to run code that may or may not be async without forcing it async. The pipeline
 * wrappers need this: a synchronous `runEpoch` must stay synchronous, or an early stop could
 * not interrupt the user's synchronous epoch loop.
 */
export type MaybePromise<T> = T | Promise<T>;

export function isPromiseLike<T = unknown>(value: unknown): value is PromiseLike<T> {
  return typeof value === "object" && value !== null && typeof (value as { then?: unknown }).then === "function";
}

/** `f(value)` now, or after `value` settles. */
export function then<T, U>(value: MaybePromise<T>, f: (t: T) => MaybePromise<U>): MaybePromise<U> {
  return isPromiseLike<T>(value) ? Promise.resolve(value).then(f) : f(value);
}

/** try/catch/finally over a body that may be async; `onError` may rethrow. */
export function attempt<T>(body: () => MaybePromise<T>, onError: (error: unknown) => MaybePromise<T>): MaybePromise<T> {
  let result: MaybePromise<T>;
  try {
    result = body();
  } catch (error) {
    return onError(error);
  }
  return isPromiseLike<T>(result) ? Promise.resolve(result).catch(onError) : result;
}

/** Runs `steps` in order, each after the previous settles; collects results. */
export function sequence<T>(items: readonly T[], step: (item: T) => MaybePromise<unknown>): MaybePromise<unknown[]> {
  const results: unknown[] = [];
  let i = 0;
  const next = (): MaybePromise<unknown[]> => {
    while (i < items.length) {
      const r = step(items[i++]);
      if (isPromiseLike(r))
        return Promise.resolve(r).then((v) => {
          results.push(v);
          return next();
        });
      results.push(r);
    }
    return results;
  };
  return next();
}
