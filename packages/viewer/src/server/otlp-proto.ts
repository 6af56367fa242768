// OTLP protobuf through the official opentelemetry-proto definitions, as the OpenTelemetry JS
// project compiled them with protobufjs for its exporters (`@opentelemetry/otlp-transformer`
// 0.216.0, the last release that ships the compiled definitions; later releases encode by hand
// and decode nothing). The package has no `exports` map, so the file is reachable by its path;
// the version is pinned exactly for that reason.
import generated from '@opentelemetry/otlp-transformer/build/src/generated/root.js'
import protobuf from 'protobufjs'
import type { Reader } from './normalize.js'

interface MessageType {
  decode(reader: Uint8Array): unknown
  encode(message: object): { finish(): Uint8Array }
}

interface GeneratedRoot {
  opentelemetry: {
    proto: {
      collector: {
        trace: {
          v1: { ExportTraceServiceRequest: MessageType; ExportTraceServiceResponse: MessageType }
        }
      }
    }
  }
}

const traceService = (generated as unknown as GeneratedRoot).opentelemetry.proto.collector.trace.v1

/** Decodes an `ExportTraceServiceRequest`; throws on bytes that are not one. */
export function decodeTraceRequest(body: Uint8Array): unknown {
  return traceService.ExportTraceServiceRequest.decode(body)
}

/** Encodes an `ExportTraceServiceResponse`, with `partial_success` when spans were refused. */
export function encodeTraceResponse(rejected: number, message: string | undefined): Uint8Array {
  return traceService.ExportTraceServiceResponse.encode(
    rejected > 0
      ? { partialSuccess: { rejectedSpans: rejected, errorMessage: message ?? '' } }
      : {},
  ).finish()
}

// google.rpc.Status (google/rpc/status.proto), the body of an OTLP/HTTP error answer. Not among
// the compiled OTLP definitions, so it is declared through protobufjs' reflection API.
const Status = new protobuf.Type('Status')
  .add(new protobuf.Field('code', 1, 'int32'))
  .add(new protobuf.Field('message', 2, 'string'))

/** gRPC code INVALID_ARGUMENT, which OTLP/HTTP puts in the Status of a 400. */
export const CODE_INVALID_ARGUMENT = 3

/** Encodes a `google.rpc.Status`. */
export function encodeStatus(code: number, message: string): Uint8Array {
  return Status.encode(Status.create({ code, message })).finish()
}

interface LongLike {
  low: number
  high: number
  unsigned: boolean
  toString(): string
}

function isLong(value: unknown): value is LongLike {
  return typeof value === 'object' && value !== null && 'low' in value && 'high' in value
}

const TWO_32 = BigInt(2 ** 32)

// Long#toString divides in 32-bit halves; BigInt does the same conversion several times faster.
function longString(value: LongLike, unsigned: boolean): string {
  if (value.high === 0 && value.low >= 0) return String(value.low)
  const high = BigInt(unsigned ? value.high >>> 0 : value.high)
  return (high * TWO_32 + BigInt(value.low >>> 0)).toString()
}

function hex(value: unknown): string | undefined {
  if (!(value instanceof Uint8Array) || value.length === 0) return undefined
  return Buffer.from(value.buffer, value.byteOffset, value.byteLength).toString('hex')
}

/** The {@link Reader} of decoded protobuf messages: ids are bytes, 64-bit numbers `Long`s. */
export const protoReader: Reader = {
  id: hex,
  nanos(value) {
    if (isLong(value)) return longString(value, true)
    if (typeof value === 'number' && value >= 0) return BigInt(Math.trunc(value)).toString()
    return '0'
  },
  int(value) {
    if (isLong(value)) return longString(value, false)
    if (typeof value === 'number') return String(Math.trunc(value))
    return undefined
  },
  bytes(value) {
    if (!(value instanceof Uint8Array)) return undefined
    return Buffer.from(value.buffer, value.byteOffset, value.byteLength).toString('base64')
  },
}
