/**
 * Sends warnings on. The repeating kind (export trouble) is limited to one per interval and per
 * topic, so a full queue cannot hide why exports fail, nor the reverse.
 */
export class Warnings {
  private readonly slots = new Map<string, { last: number; suppressed: number }>()

  constructor(
    private readonly sink: (message: string) => void,
    private readonly intervalMillis = 60_000,
  ) {}

  /** A one-off warning (setup): always sent. */
  once(message: string): void {
    this.send(message)
  }

  /** A warning that may repeat (export failed, queue full): at most one per interval per topic. */
  repeating(topic: string, message: string): void {
    const now = performance.now()
    let slot = this.slots.get(topic)
    if (slot === undefined) {
      slot = { last: -Infinity, suppressed: 0 }
      this.slots.set(topic, slot)
    }
    if (now - slot.last < this.intervalMillis) {
      slot.suppressed++
      return
    }
    slot.last = now
    const more = slot.suppressed > 0 ? ` (${slot.suppressed} similar warnings suppressed)` : ''
    slot.suppressed = 0
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
    this.passOn(`@tracehop/node: ${message}`)
  }
}
