import { ROOT_CONTEXT, SpanKind } from '@opentelemetry/api'
import { SamplingDecision, type IdGenerator, type Sampler } from '@opentelemetry/sdk-trace'
import { randomSpanId, randomTraceId, type RootSampler } from '@tracehop/core'

const NO_ATTRIBUTES = Object.freeze({})
const NO_LINKS = Object.freeze([]) as []

/**
 * The ids of a tracer provider whose sampler decides a new trace from its trace id alone (the
 * SDK's ratio samplers, always-off), and that decision made ahead of the SDK for core's
 * `declareRootSampler`. `decide` draws a trace id and asks the sampler about it: a dropped one
 * is returned, and the adapters make the span that records nothing themselves; a kept one
 * becomes the provider's next trace id, so the SDK starts the span with it and its sampler,
 * asked the same question, gives the same answer. Ids are otherwise random, as the SDK's are,
 * drawn by core's hex-table generators, which cost half of the SDK's.
 */
export class DecidedTraceIds implements IdGenerator {
  private next: string | undefined = undefined

  constructor(private readonly rootSampler: Sampler) {}

  generateTraceId(): string {
    const decided = this.next
    if (decided === undefined) return randomTraceId()
    this.next = undefined
    return decided
  }

  generateSpanId(): string {
    return randomSpanId()
  }

  readonly decide: RootSampler = () => {
    const traceId = randomTraceId()
    const { decision } = this.rootSampler.shouldSample(
      ROOT_CONTEXT,
      traceId,
      '',
      SpanKind.SERVER,
      NO_ATTRIBUTES,
      NO_LINKS,
    )
    if (decision === SamplingDecision.NOT_RECORD) return traceId
    this.next = traceId
    return undefined
  }
}
