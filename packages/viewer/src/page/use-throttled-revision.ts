import { useEffect, useRef, useState } from 'preact/hooks'

/**
 * A counter that follows `revision` at most once per `ms`: live events come in bursts, and a
 * screen should refetch once per burst, not once per event.
 */
export function useThrottledRevision(revision: number, ms = 300): number {
  const [value, setValue] = useState(0)
  const pending = useRef<ReturnType<typeof setTimeout>>()
  useEffect(() => {
    if (revision === 0 || pending.current !== undefined) return
    pending.current = setTimeout(() => {
      pending.current = undefined
      setValue((n) => n + 1)
    }, ms)
  }, [revision, ms])
  useEffect(() => () => clearTimeout(pending.current), [])
  return value
}
