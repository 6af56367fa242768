const SIGNALS = ['SIGTERM', 'SIGINT'] as const

/**
 * On the first SIGTERM or SIGINT, flushes once, then lets the signal do what it would have done
 * without us: if the app listens for it, the app decides (we only flush beside it); if nobody
 * else does, the process would have died, so after the flush (bounded by `timeoutMillis`) the
 * signal is raised again with our listener gone, and the process dies of it as it would have.
 * A second signal during the flush finds no listener of ours and takes effect at once.
 * Returns the function that removes the listeners.
 */
export function flushOnSignals(flush: () => Promise<void>, timeoutMillis: number): () => void {
  let removed = false
  const remove = (): void => {
    if (removed) return
    removed = true
    for (const signal of SIGNALS) process.removeListener(signal, onSignal)
  }
  function onSignal(signal: NodeJS.Signals): void {
    // Counted before ours goes: anyone else listening owns the process's fate.
    const othersListen = process.listenerCount(signal) > 1
    remove()
    if (othersListen) {
      void flush().catch(() => {})
      return
    }
    let raised = false
    const raise = (): void => {
      if (raised) return
      raised = true
      clearTimeout(guard)
      process.kill(process.pid, signal)
    }
    const guard = setTimeout(raise, timeoutMillis + 250)
    flush().then(raise, raise)
  }
  for (const signal of SIGNALS) process.on(signal, onSignal)
  return remove
}
