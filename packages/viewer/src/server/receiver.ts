// The OTLP/HTTP receiver: POST /v1/traces (protobuf or JSON, gzip or not) into the store;
// /v1/metrics and /v1/logs are answered and ignored.
// https://opentelemetry.io/docs/specs/otlp/#otlphttp
import type { IncomingMessage, ServerResponse } from 'node:http'
import { BodyError, readBody } from './body.js'
import { normalizeRequest, jsonReader, type Limits, type NormalizedRequest } from './normalize.js'
import {
  CODE_INVALID_ARGUMENT,
  decodeTraceRequest,
  encodeStatus,
  encodeTraceResponse,
  protoReader,
} from './otlp-proto.js'

const PROTOBUF = 'application/x-protobuf'
const JSON_TYPE = 'application/json'

/** What the receiver needs from the rest of the server. */
export interface ReceiverContext {
  readonly limits: Limits
  readonly maxBodyBytes: number
  /** Keeps the accepted spans; returns how many more were refused (e.g. over the cap). */
  accept(request: NormalizedRequest): { rejected: number; reason: string | undefined }
}

type Encoding = 'protobuf' | 'json'

function encodingOf(request: IncomingMessage): Encoding | undefined {
  const type = (request.headers['content-type'] ?? '').split(';')[0]!.trim().toLowerCase()
  if (type === PROTOBUF) return 'protobuf'
  if (type === JSON_TYPE) return 'json'
  return undefined
}

function sendStatus(
  response: ServerResponse,
  encoding: Encoding,
  status: number,
  message: string,
): void {
  // OTLP/HTTP: a 4xx carries a google.rpc.Status, encoded as the request was.
  const code = status === 400 ? CODE_INVALID_ARGUMENT : status === 413 ? 8 : 3
  if (encoding === 'json') {
    response.writeHead(status, { 'content-type': JSON_TYPE })
    response.end(JSON.stringify({ code, message }))
  } else {
    response.writeHead(status, { 'content-type': PROTOBUF })
    response.end(encodeStatus(code, message))
  }
}

/**
 * Answers one OTLP/HTTP request for `signal`. Never throws: a body that cannot be read or
 * decoded gets the status the spec asks for, and the server goes on.
 */
export async function handleOtlp(
  signal: 'traces' | 'metrics' | 'logs',
  request: IncomingMessage,
  response: ServerResponse,
  context: ReceiverContext,
): Promise<void> {
  const encoding = encodingOf(request)
  if (encoding === undefined) {
    request.resume()
    response.writeHead(415, { 'content-type': 'text/plain; charset=utf-8', connection: 'close' })
    response.end(`content-type must be ${PROTOBUF} or ${JSON_TYPE}\n`)
    return
  }
  let body: Buffer
  try {
    body = await readBody(request, context.maxBodyBytes)
  } catch (err) {
    const status = err instanceof BodyError ? err.status : 400
    // The rest of an oversized body is not read: close the connection after answering.
    if (status === 413) response.setHeader('connection', 'close')
    sendStatus(response, encoding, status, err instanceof Error ? err.message : String(err))
    return
  }
  if (signal !== 'traces') {
    // Answered so that an SDK exporting every signal to this endpoint logs no errors.
    response.writeHead(200, { 'content-type': encoding === 'json' ? JSON_TYPE : PROTOBUF })
    response.end(encoding === 'json' ? '{}' : undefined)
    return
  }
  let normalized: NormalizedRequest
  try {
    const message =
      encoding === 'json'
        ? (JSON.parse(body.toString('utf8')) as unknown)
        : decodeTraceRequest(body)
    normalized = normalizeRequest(
      message,
      encoding === 'json' ? jsonReader : protoReader,
      context.limits,
    )
  } catch (err) {
    sendStatus(
      response,
      encoding,
      400,
      `malformed ExportTraceServiceRequest: ${(err as Error).message}`,
    )
    return
  }
  const stored = context.accept(normalized)
  const rejected = normalized.rejected + stored.rejected
  const reason = normalized.reason ?? stored.reason
  if (encoding === 'json') {
    response.writeHead(200, { 'content-type': JSON_TYPE })
    response.end(
      JSON.stringify(
        rejected > 0
          ? { partialSuccess: { rejectedSpans: String(rejected), errorMessage: reason ?? '' } }
          : {},
      ),
    )
  } else {
    response.writeHead(200, { 'content-type': PROTOBUF })
    response.end(encodeTraceResponse(rejected, reason))
  }
}
