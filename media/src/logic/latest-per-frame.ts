/**
 * Keeps only the newest of a burst of values and hands it over once per animation frame: a
 * pointer drag sends several moves per frame, and each one used to recompute the brushed runs,
 * re-filter the whole panel and redraw. Pure (the scheduler is injected), so the rule "the last
 * value is the one delivered" is tested without a browser.
 */
export type FrameScheduler = (callback: () => void) => void;

const animationFrame: FrameScheduler = (callback) => {
  requestAnimationFrame(() => callback());
};

export class LatestPerFrame<T> {
  private pending = false;
  private value: T | undefined;
  /** Bumped by flush and cancel: a frame scheduled before them delivers nothing. */
  private generation = 0;

  constructor(
    private readonly deliver: (value: T) => void,
    private readonly schedule: FrameScheduler = animationFrame,
  ) {}

  /** The newest value; delivered at the next frame (once, however many came before it). */
  push(value: T): void {
    this.value = value;
    if (this.pending) return;
    this.pending = true;
    const generation = this.generation;
    this.schedule(() => {
      if (generation !== this.generation || !this.pending) return;
      this.pending = false;
      this.deliver(this.value as T);
    });
  }

  /** Delivers the waiting value now (a pointer release ends the drag in its own event). */
  flush(): void {
    if (!this.pending) return;
    this.pending = false;
    this.generation++;
    this.deliver(this.value as T);
  }

  /** Drops the waiting value. */
  cancel(): void {
    this.pending = false;
    this.generation++;
  }

  get waiting(): boolean {
    return this.pending;
  }
}
