/** Sends warnings on, at most one per interval for the repeating kind (export trouble). */
export class Warnings {
  private lastRepeating = -Infinity
  private suppressed = 0

  constructor(
    private readonly sink: (message: string) => void,
    private readonly intervalMillis = 60_000,
  ) {}

  /** A one-off warning (setup): always sent. */
  once(message: string): void {
    this.send(message)
  }

  /** A warning that may repeat (export failed, queue full): at most one per interval. */
  repeating(message: string): void {
    const now = performance.now()
    if (now - this.lastRepeating < this.intervalMillis) {
      this.suppressed++
      return
    }
    this.lastRepeating = now
    const more = this.suppressed > 0 ? ` (${this.suppressed} similar warnings suppressed)` : ''
    this.suppressed = 0
    this.send(message + more)
  }

  /** A message that already names its sender (from `diag`): sent as it is. */
  passOn(message: string): void {
    try {
      this.sink(message)
    } catch {
      // a throwing warning sink must not take the app down
    }
  }

  private send(message: string): void {
    try {
      this.sink(`@tracehop/node: ${message}`)
    } catch {
      // a throwing warning sink must not take the app down
    }
  }
}
