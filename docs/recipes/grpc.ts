// gRPC with @grpc/grpc-js: a client interceptor records a CLIENT span and writes its context into
// the call metadata; the server continues the trace in a SERVER span read from that metadata.
// Run it: node --import tsx --import @tracehop/node/register grpc.ts
import * as grpc from '@grpc/grpc-js'
import * as protoLoader from '@grpc/proto-loader'
import { context, ROOT_CONTEXT, SpanKind, SpanStatusCode, trace } from '@opentelemetry/api'
import { extractContext, injectHeaders, withSpan } from '@tracehop/core'
import { pathToFileURL } from 'node:url'

// The service, as protobuf JSON (the same as an orders.proto file given to protoLoader.loadSync).
const definition = protoLoader.fromJSON({
  nested: {
    orders: {
      nested: {
        Orders: {
          methods: {
            Get: { requestType: 'GetOrder', responseType: 'Order', comment: 'One order by id' },
          },
        },
        GetOrder: { fields: { id: { type: 'string', id: 1 } } },
        Order: { fields: { id: { type: 'string', id: 1 }, status: { type: 'string', id: 2 } } },
      },
    },
  },
})
const ordersProto = grpc.loadPackageDefinition(definition).orders as grpc.GrpcObject
const Orders = ordersProto.Orders as grpc.ServiceClientConstructor

interface GetOrder {
  id: string
}
interface Order {
  id: string
  status: string
}

const tracer = () => trace.getTracer('grpc-recipe')

function rpcAttributes(path: string) {
  // path is "/orders.Orders/Get"
  const [, service, method] = path.split('/')
  return { 'rpc.system': 'grpc', 'rpc.service': service, 'rpc.method': method }
}

/** Client side: one CLIENT span per call, its context sent as metadata (traceparent, baggage). */
export const tracingInterceptor: grpc.Interceptor = (options, nextCall) => {
  const path = options.method_definition.path
  const span = tracer().startSpan(path.slice(1), {
    kind: SpanKind.CLIENT,
    attributes: rpcAttributes(path),
  })
  return new grpc.InterceptingCall(nextCall(options), {
    start(metadata, _listener, next) {
      injectHeaders(metadata, trace.setSpan(context.active(), span)) // Metadata has set()
      // a partial listener: grpc-js passes the other events through unchanged
      next(metadata, {
        onReceiveStatus(status, nextStatus) {
          span.setAttribute('rpc.grpc.status_code', status.code)
          if (status.code !== grpc.status.OK) {
            span.setStatus({ code: SpanStatusCode.ERROR, message: status.details })
          }
          span.end()
          nextStatus(status)
        },
      })
    },
  })
}

/** Server side: a unary handler that runs in a SERVER span continuing the caller's trace. */
function tracedUnary<Req, Res>(
  path: string,
  handler: (call: grpc.ServerUnaryCall<Req, Res>) => Promise<Res>,
): grpc.handleUnaryCall<Req, Res> {
  return (call, callback) => {
    const parent = extractContext(call.metadata.getMap(), ROOT_CONTEXT)
    withSpan(
      path.slice(1),
      { kind: SpanKind.SERVER, context: parent, attributes: rpcAttributes(path) },
      (span) =>
        handler(call).then(
          (response) => {
            span.setAttribute('rpc.grpc.status_code', grpc.status.OK)
            callback(null, response)
          },
          (error: Error) => {
            span.setAttribute('rpc.grpc.status_code', grpc.status.NOT_FOUND)
            span.setStatus({ code: SpanStatusCode.ERROR, message: error.message })
            callback({ code: grpc.status.NOT_FOUND, details: error.message })
          },
        ),
    )
  }
}

export async function start({ port = 0 } = {}) {
  const server = new grpc.Server()
  server.addService(Orders.service, {
    Get: tracedUnary<GetOrder, Order>('/orders.Orders/Get', async (call) =>
      withSpan('orders.lookup', async () => {
        if (call.request.id === 'missing') throw new Error(`order ${call.request.id} not found`)
        return { id: call.request.id, status: 'shipped' }
      }),
    ),
  })
  const bound = await new Promise<number>((resolve, reject) =>
    server.bindAsync(`127.0.0.1:${port}`, grpc.ServerCredentials.createInsecure(), (error, p) =>
      error ? reject(error) : resolve(p),
    ),
  )
  const client = new Orders(`127.0.0.1:${bound}`, grpc.credentials.createInsecure(), {
    interceptors: [tracingInterceptor],
  })
  const getOrder = (id: string) =>
    new Promise<Order>((resolve, reject) =>
      client.Get({ id }, (error: grpc.ServiceError | null, order: Order) =>
        error ? reject(error) : resolve(order),
      ),
    )
  return {
    port: bound,
    getOrder,
    close: async () => {
      client.close()
      await new Promise<void>((resolve) => server.tryShutdown(() => resolve()))
    },
  }
}

if (import.meta.url === pathToFileURL(process.argv[1]).href) {
  start().then(async (app) => {
    const order = await withSpan('checkout', () => app.getOrder('42'))
    console.log(order)
    await app.close()
  })
}
