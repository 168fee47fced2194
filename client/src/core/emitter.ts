/** A minimal typed event emitter (the `vscode` one is not available outside the editor). */
export interface Disposable {
  dispose(): void;
}

export class Emitter<T> {
  private listeners = new Set<(value: T) => void>();

  readonly event = (listener: (value: T) => void): Disposable => {
    this.listeners.add(listener);
    return { dispose: () => this.listeners.delete(listener) };
  };

  fire(value: T): void {
    for (const l of [...this.listeners]) {
      try {
        l(value);
      } catch (e) {
        // One listener's bug must not starve the others of events.
        console.error("experiment manager: listener failed", e);
      }
    }
  }

  dispose(): void {
    this.listeners.clear();
  }
}
