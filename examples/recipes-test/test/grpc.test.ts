import { SpanStatusCode } from '@opentelemetry/api'
import { withSpan } from '@tracehop/core'
import { start } from '../../../docs/recipes/grpc'
import { expectChildOf, expectOneTrace, kindOf, spanNamed, useTracing, waitFor } from './tracing'

const { spans } = useTracing()
let app: Awaited<ReturnType<typeof start>>

beforeAll(async () => {
  app = await start()
})
afterAll(() => app.close())

async function rpcSpans(n: number) {
  const all = await waitFor(`${n} RPC spans`, () => {
    const rpc = spans().filter((s) => s.name === 'orders.Orders/Get')
    return rpc.length === n && rpc
  })
  return {
    client: all.find((s) => kindOf(s) === 'CLIENT')!,
    server: all.find((s) => kindOf(s) === 'SERVER')!,
  }
}

describe('gRPC recipe (real loopback server)', () => {
  it('caller -> CLIENT -> SERVER -> handler work is one trace with the right parents', async () => {
    const order = await withSpan('checkout', () => app.getOrder('42'))
    expect(order).toEqual({ id: '42', status: 'shipped' })

    const checkout = await spanNamed(spans, 'checkout')
    const { client, server } = await rpcSpans(2)
    const lookup = await spanNamed(spans, 'orders.lookup')
    expectOneTrace([checkout, client, server, lookup])
    expectChildOf(client, checkout)
    expectChildOf(server, client)
    expectChildOf(lookup, server)
    expect(client.attributes).toMatchObject({
      'rpc.system': 'grpc',
      'rpc.service': 'orders.Orders',
      'rpc.method': 'Get',
      'rpc.grpc.status_code': 0,
    })
  })

  it('a failing call marks both sides ERROR, still one trace', async () => {
    await expect(withSpan('checkout', () => app.getOrder('missing'))).rejects.toThrow(/not found/)
    const { client, server } = await rpcSpans(2)
    expectChildOf(server, client)
    expect([client.status.code, server.status.code]).toEqual([
      SpanStatusCode.ERROR,
      SpanStatusCode.ERROR,
    ])
    expect(client.attributes['rpc.grpc.status_code']).toBe(5)
  })
})
