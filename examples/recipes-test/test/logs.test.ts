import { Writable } from 'node:stream'
import { startFastify, startHttp } from '../../../docs/recipes/pino'
import { start as startWinston } from '../../../docs/recipes/winston'
import { useTracing, waitFor } from './tracing'

const { spans } = useTracing()

function capture() {
  const lines: Record<string, unknown>[] = []
  const stream = new Writable({
    write(chunk: Buffer, _encoding, done) {
      for (const line of chunk.toString().split('\n')) if (line) lines.push(JSON.parse(line))
      done()
    },
  })
  return { lines, stream }
}

const idsOf = (name: string, path?: string) =>
  spans()
    .filter((s) => s.name === name && (path === undefined || s.attributes['url.path'] === path))
    .map((s) => ({ trace_id: s.spanContext().traceId, span_id: s.spanContext().spanId }))

describe('pino recipe', () => {
  it('mixin: each line carries the ids of the span active when it was logged', async () => {
    const { lines, stream } = capture()
    const app = await startHttp({ destination: stream })
    try {
      await (await fetch(`${app.url}/a`)).text()
      await waitFor('two spans', () => spans().length === 2)
      const received = lines.find((l) => l.msg === 'request received')!
      const checking = lines.find((l) => l.msg === 'checking stock')!
      expect(received).toMatchObject({ ...idsOf('GET')[0], trace_flags: '01' })
      expect(checking).toMatchObject(idsOf('stock.check')[0])
      // outside any trace: no ids, no empty strings
      app.logger.info('idle')
      expect(lines.find((l) => l.msg === 'idle')).not.toHaveProperty('trace_id')
    } finally {
      await app.close()
    }
  })

  it("Fastify's request.log carries the request span's ids", async () => {
    const { lines, stream } = capture()
    const app = await startFastify({ destination: stream })
    try {
      await (await fetch(`${app.url}/orders/7`)).text()
      const line = await waitFor('the line', () => lines.find((l) => l.msg === 'order loaded'))
      await waitFor('the span', () => idsOf('GET /orders/:id').length === 1)
      expect(line).toMatchObject(idsOf('GET /orders/:id')[0])
    } finally {
      await app.close()
    }
  })
})

describe('winston recipe', () => {
  it('the format stamps every line with its own request trace, across 20 concurrent requests', async () => {
    const { lines, stream } = capture()
    const app = await startWinston({ stream })
    try {
      const paths = Array.from({ length: 20 }, (_, i) => `/r${i}`)
      await Promise.all(paths.map(async (p) => (await fetch(app.url + p)).text()))
      await waitFor('40 spans', () => spans().length === 40)
      for (const path of paths) {
        const [server] = idsOf('GET', path)
        const received = lines.find((l) => l.message === 'request received' && l.path === path)!
        expect(received).toMatchObject(server)
        const authorize = spans().find(
          (s) => s.name === 'payment.authorize' && s.parentSpanContext?.spanId === server.span_id,
        )!
        const authorized = lines.filter(
          (l) => l.message === 'payment authorized' && l.span_id === authorize.spanContext().spanId,
        )
        expect(authorized).toHaveLength(1)
        expect(authorized[0].trace_id).toBe(server.trace_id)
      }
      expect(lines).toHaveLength(40)
    } finally {
      await app.close()
    }
  })
})
