import {
  context,
  ROOT_CONTEXT,
  SpanKind,
  trace,
  type Attributes,
  type Context,
  type Link,
  type Span,
  type TracerProvider,
} from '@opentelemetry/api'
import {
  ATTR_MESSAGING_DESTINATION_NAME,
  ATTR_MESSAGING_MESSAGE_ID,
  ATTR_MESSAGING_OPERATION_NAME,
  ATTR_MESSAGING_OPERATION_TYPE,
  ATTR_MESSAGING_SYSTEM,
} from './constants.js'
import {
  extractContext,
  injectHeaders,
  runInSpan,
  tracerFor,
  type HeaderCarrier,
  type HeaderSource,
} from './helpers.js'
import { requestAttributes } from './request-trace.js'

/** What both producer and consumer spans describe. */
export interface MessageSpanOptions {
  /** `messaging.system`, e.g. `rabbitmq`, `nats`, `kafka`, `aws_sqs`. */
  system: string
  /** `messaging.destination.name`: the queue, exchange, subject or topic. */
  destination: string
  /** `messaging.message.id`, when the message has one. */
  messageId?: string
  /** `messaging.operation.name` (the system's own verb); also the first word of the span name. */
  operation?: string
  /** More attributes for the span. */
  attributes?: Attributes
  /** Tracer provider. Default: the global one. */
  tracerProvider?: TracerProvider
}

/**
 * Options of `withProducerSpan`. `H` is the type of the message's header carrier: a plain object
 * (AMQP, kafkajs), or anything with `set(name, value)` (NATS `headers()`, WHATWG `Headers`).
 */
export interface ProducerSpanOptions<
  H extends HeaderCarrier = Record<string, string>,
> extends MessageSpanOptions {
  /** Headers to inject into (mutated and passed to `fn` as they are). Default: a new plain object. */
  headers?: H
}

/** Options of `withConsumerSpan`. */
export interface ConsumerSpanOptions extends MessageSpanOptions {
  /**
   * The message's headers, carrying the producer's trace context: a plain object in any case
   * (string, Buffer or array values, as kafkajs and amqplib deliver them), or anything with
   * `get(name)` (NATS `msg.headers`, WHATWG `Headers`).
   */
  headers: HeaderSource | undefined | null
  /**
   * `parent` (default): the consumer span is a child of the producer span, in the producer's
   * trace. `link`: it starts in the current context (a new trace when there is none) and links
   * to the producer span — for batch consumers or when producers are untrusted.
   */
  relation?: 'parent' | 'link'
}

function messageAttributes(
  options: MessageSpanOptions,
  type: string,
  operation: string,
): Attributes {
  const attributes: Attributes = {
    ...options.attributes,
    [ATTR_MESSAGING_SYSTEM]: options.system,
    [ATTR_MESSAGING_DESTINATION_NAME]: options.destination,
    [ATTR_MESSAGING_OPERATION_TYPE]: type,
    [ATTR_MESSAGING_OPERATION_NAME]: operation,
  }
  if (options.messageId !== undefined) attributes[ATTR_MESSAGING_MESSAGE_ID] = options.messageId
  return attributes
}

function checkMessageOptions(helper: string, options: MessageSpanOptions): void {
  if (typeof options !== 'object' || options === null) {
    throw new TypeError(`@tracehop/core: ${helper} needs an options object`)
  }
  for (const name of ['system', 'destination'] as const) {
    if (typeof options[name] !== 'string' || options[name] === '') {
      throw new TypeError(
        `@tracehop/core: ${helper} option "${name}" must be a non-empty string; received ${typeof options[name] === 'string' ? '""' : String(options[name])}`,
      )
    }
  }
}

/**
 * Writes the active trace context (or `ctx`'s) into message headers and returns them, typed as
 * given: a plain object (AMQP, kafkajs), or anything with `set(name, value)` (NATS `headers()`,
 * WHATWG `Headers`). Use `withProducerSpan` to also record the send as a PRODUCER span.
 * @example
 * channel.publish('orders', 'created', body, { headers: injectMessageHeaders() })
 */
export function injectMessageHeaders<T extends HeaderCarrier = Record<string, string>>(
  carrier?: T,
  ctx?: Context,
): T {
  return injectHeaders(carrier, ctx)
}

/**
 * Runs `fn` in a PRODUCER span (`send {destination}`, messaging semantic conventions) and
 * passes it headers that carry that span's context: publish the message with them. The headers
 * are `options.headers` (a plain object, or a carrier with `set()` such as NATS `headers()`),
 * keeping their type, or a new plain object. Sync or async; the span always ends; a throw is
 * recorded and rethrown.
 * @example
 * await withProducerSpan({ system: 'rabbitmq', destination: 'orders' }, (headers) =>
 *   channel.sendToQueue('orders', body, { headers }))
 * withProducerSpan({ system: 'nats', destination: subject, headers: natsHeaders() }, (headers) =>
 *   nc.publish(subject, data, { headers }))
 */
export function withProducerSpan<T, H extends HeaderCarrier = Record<string, string>>(
  options: ProducerSpanOptions<H>,
  fn: (headers: H, span: Span) => T,
): T {
  checkMessageOptions('withProducerSpan', options)
  const operation = options.operation ?? 'send'
  const parent = context.active()
  const inherited = requestAttributes(parent)
  const attributes = messageAttributes(options, 'send', operation)
  const span = tracerFor(options.tracerProvider).startSpan(
    `${operation} ${options.destination}`,
    {
      kind: SpanKind.PRODUCER,
      attributes: inherited === undefined ? attributes : { ...inherited, ...attributes },
    },
    parent,
  )
  const headers = injectHeaders(options.headers ?? ({} as H), trace.setSpan(parent, span))
  return runInSpan(span, parent, (active) => fn(headers, active))
}

/**
 * Runs `fn` in a CONSUMER span (`process {destination}`) that continues the producer's trace
 * found in `headers`: a child of the producer span by default, or linked to it
 * (`relation: 'link'`). Sync or async; the span always ends; a throw is recorded and rethrown.
 * @example
 * channel.consume('orders', (msg) => withConsumerSpan(
 *   { system: 'rabbitmq', destination: 'orders', headers: msg.properties.headers },
 *   async () => { await handle(msg); channel.ack(msg) }))
 */
export function withConsumerSpan<T>(options: ConsumerSpanOptions, fn: (span: Span) => T): T {
  checkMessageOptions('withConsumerSpan', options)
  const operation = options.operation ?? 'process'
  const attributes = messageAttributes(options, 'process', operation)
  // a consumer callback runs in whatever context the client library left: start from the root
  const remote = extractContext(options.headers, ROOT_CONTEXT)
  let parent: Context
  let links: Link[] | undefined
  if (options.relation === 'link') {
    parent = context.active()
    const producer = trace.getSpanContext(remote)
    if (producer !== undefined) links = [{ context: producer }]
  } else {
    parent = remote
  }
  const span = tracerFor(options.tracerProvider).startSpan(
    `${operation} ${options.destination}`,
    { kind: SpanKind.CONSUMER, attributes, links },
    parent,
  )
  return runInSpan(span, parent, fn)
}
