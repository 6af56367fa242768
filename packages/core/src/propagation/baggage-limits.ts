import { diag, type Baggage, type Context } from '@opentelemetry/api'
import { isTokenAt, safeEncode } from './header-utils.js'

// W3C Baggage (https://www.w3.org/TR/baggage/#limits): a platform must propagate at least 64
// list-members and 8192 bytes, and may drop what goes beyond. What tracehop sends stays within
// those figures, in every format, so that no receiver has a reason to refuse it.
/** Most baggage members sent on one outgoing call, in any one format. */
export const MAX_SENT_MEMBERS = 64
/** Most bytes of baggage sent on one outgoing call, in any one format, measured as W3C members. */
export const MAX_SENT_BYTES = 8192
// Like the OTel SDKs, a single member over 4096 bytes is not sent (nor read).
export const MAX_MEMBER_LENGTH = 4096

/** One baggage entry ready to send: its key, its percent-encoded value and its W3C member text. */
export interface SendableMember {
  readonly key: string
  readonly value: string
  /** `key=value[;properties]`, what the entry weighs against the limits. */
  readonly member: string
}

function byteLength(text: string): number {
  // percent-encoded members are ASCII; only user-set metadata can hold anything else
  for (let i = 0; i < text.length; i++) {
    if (text.charCodeAt(i) > 0x7f) return Buffer.byteLength(text)
  }
  return text.length
}

/** What the baggage headers of one outgoing call have used so far, across formats. */
interface Budget {
  members: number
  bytes: number
}

const kBudget = Symbol.for('tracehop.propagation.baggage-budget')

/**
 * `context` with a fresh baggage budget for one outgoing call: the propagators injected with it
 * share the W3C limits, so two baggage formats together stay within them. Without one, each
 * injection has the limits to itself.
 */
export function withBaggageBudget(context: Context): Context {
  return context.setValue(kBudget, { members: 0, bytes: 0 } satisfies Budget)
}

/**
 * The entries of `baggage` that can be sent (an HTTP token key, a string value) and fit what is
 * left of the call's budget, in order: an entry that does not fit is skipped, and a later, smaller
 * one may still fit. `include` narrows which keys are candidates. `format` names the headers in
 * the report.
 */
export function sendableMembers(
  context: Context,
  baggage: Baggage,
  format: string,
  withMetadata: boolean,
  include?: (key: string) => boolean,
): SendableMember[] {
  const budget = (context.getValue(kBudget) as Budget | undefined) ?? { members: 0, bytes: 0 }
  const out: SendableMember[] = []
  let dropped = 0
  for (const [key, entry] of baggage.getAllEntries()) {
    if (include !== undefined && !include(key)) continue
    if (!isTokenAt(key, 0, key.length) || typeof entry.value !== 'string') continue
    if (budget.members === MAX_SENT_MEMBERS) {
      dropped++
      continue
    }
    const value = safeEncode(entry.value)
    let member = `${key}=${value}`
    const metadata = withMetadata ? entry.metadata?.toString() : undefined
    if (metadata) member += `;${metadata}`
    const length = byteLength(member)
    // a separator before every member but the first of the call
    const size = length + (budget.members === 0 ? 0 : 1)
    if (length > MAX_MEMBER_LENGTH || budget.bytes + size > MAX_SENT_BYTES) {
      dropped++
      continue
    }
    budget.bytes += size
    budget.members++
    out.push({ key, value, member })
  }
  if (dropped > 0) reportDropped('sent', format, dropped)
  return out
}

const counts = { sent: 0, read: 0 }
const warned = { sent: false, read: false }

/**
 * Counts baggage entries left out by the limits and says so through `diag.warn`, once per
 * process for each direction: the first drop is reported with its count, later ones are only
 * counted (see {@link droppedBaggageEntries}).
 */
export function reportDropped(direction: 'sent' | 'read', format: string, dropped: number): void {
  counts[direction] += dropped
  if (warned[direction]) return
  warned[direction] = true
  const entries = dropped === 1 ? '1 baggage entry' : `${dropped} baggage entries`
  diag.warn(
    direction === 'sent'
      ? `@tracehop/core: ${entries} not sent in ${format}: outgoing baggage is limited to ${MAX_SENT_MEMBERS} members and ${MAX_SENT_BYTES} bytes (W3C Baggage limits), members over ${MAX_MEMBER_LENGTH} bytes are never sent. Reported once; later drops are only counted.`
      : `@tracehop/core: ${entries} not read from ${format}: incoming baggage is read up to 180 members and 8192 bytes, members over ${MAX_MEMBER_LENGTH} bytes are skipped. Reported once; later drops are only counted.`,
  )
}

/** How many baggage entries the limits have left out since the process started (or the last reset). */
export function droppedBaggageEntries(): { sent: number; read: number } {
  return { ...counts }
}

/** Forgets the counts and the once-only warnings, so tests can observe them again. */
export function resetDroppedBaggage(): void {
  counts.sent = 0
  counts.read = 0
  warned.sent = false
  warned.read = false
}
