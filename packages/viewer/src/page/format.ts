// How numbers, times and attribute values read on the page (plain functions, no DOM).
import type { AttributeValue } from '../shared/api.js'

/** A duration for people: `840 µs`, `12.3 ms`, `4.07 s`, `2m 05s`. */
export function formatDuration(ms: number): string {
  if (!Number.isFinite(ms)) return '–'
  if (ms < 1) return `${Math.round(ms * 1000)} µs`
  if (ms < 100) return `${trim(ms.toFixed(ms < 10 ? 2 : 1))} ms`
  if (ms < 1000) return `${Math.round(ms)} ms`
  if (ms < 60_000) return `${trim((ms / 1000).toFixed(2))} s`
  const minutes = Math.floor(ms / 60_000)
  const seconds = Math.round((ms % 60_000) / 1000)
  return `${minutes}m ${String(seconds).padStart(2, '0')}s`
}

function trim(fixed: string): string {
  return fixed.includes('.') ? fixed.replace(/\.?0+$/, '') : fixed
}

/** A wall-clock time with milliseconds, in the browser's time zone: `14:03:07.412`. */
export function formatClock(epochMs: number): string {
  const d = new Date(epochMs)
  const pad = (n: number, w = 2): string => String(n).padStart(w, '0')
  return `${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}.${pad(d.getMilliseconds(), 3)}`
}

/** A date and time for the list: today's traces show the clock only. */
export function formatStart(epochMs: number, now = Date.now()): string {
  const d = new Date(epochMs)
  const sameDay = new Date(now).toDateString() === d.toDateString()
  return sameDay ? formatClock(epochMs) : `${d.toISOString().slice(0, 10)} ${formatClock(epochMs)}`
}

/** An attribute value as one string (arrays and maps as JSON). */
export function formatValue(value: AttributeValue): string {
  if (typeof value === 'string') return value
  if (value === null) return 'null'
  if (typeof value === 'object') return JSON.stringify(value)
  return String(value)
}

/** `0.125` → `12.5%`. */
export function formatPercent(ratio: number): string {
  return `${trim((ratio * 100).toFixed(1))}%`
}
