import { EventEmitter } from 'node:events'

/** A "callback pool" made at startup, outside every request, as an old driver's pool is. */
export interface CallbackPool {
  /** Queues `fn`; it runs from the pool's own timer, in the context that timer was made in. */
  later(fn: () => void): void
  /** Stops the pool's timer. */
  stop(): void
}

/**
 * Starts a pool whose callbacks run from a timer created here, so they lose the AsyncLocalStorage
 * context of whoever queued them: the way middleware and hooks that break a trace behave.
 */
export function startCallbackPool(intervalMs = 2): CallbackPool {
  const pool = new EventEmitter()
  pool.setMaxListeners(0)
  const timer = setInterval(() => pool.emit('release'), intervalMs)
  return {
    later: (fn) => {
      pool.once('release', fn)
    },
    stop: () => clearInterval(timer),
  }
}
