// captureHeaders.response sees the headers Fastify holds itself (`reply.header()`, `reply.headers()`,
// onSend hooks), not only those set on `reply.raw` (issue 12, item 6).
import { REDACTED } from '@tracehop/core'
import { tracingPlugin } from '@tracehop/fastify'
import type { FastifyInstance } from 'fastify'
import { FASTIFY_VERSIONS, listen, useTracing } from './helpers.js'

const tracing = useTracing()

describe.each(FASTIFY_VERSIONS)('$name: captureHeaders.response', ({ create }) => {
  let app: FastifyInstance
  let url: string

  beforeEach(async () => {
    app = create()
    await app.register(tracingPlugin, {
      tracerProvider: tracing.provider,
      captureHeaders: {
        response: ['x-request-id', 'x-raw', 'x-hook', 'set-cookie', 'x-gone', 'x-many'],
      },
    })
    app.addHook('onSend', async (_request, reply) => {
      reply.header('x-hook', 'H1')
      reply.removeHeader('x-gone')
    })
    app.get('/reply', async (_request, reply) => {
      reply.header('x-request-id', 'R1')
      reply.headers({ 'set-cookie': ['sid=s3cr3t; HttpOnly'], 'x-gone': 'G' })
      reply.header('x-many', ['a', 'b'])
      reply.raw.setHeader('x-raw', 'W1')
      return { ok: true }
    })
    app.get('/only-reply', async (_request, reply) => {
      reply.header('x-request-id', 'R2')
      return 'plain'
    })
    url = await listen(app)
  })
  afterEach(() => app.close())

  it('records reply.header(), reply.headers(), onSend hooks and raw headers, redacted alike', async () => {
    const res = await fetch(`${url}/reply`)
    expect(res.headers.get('x-request-id')).toBe('R1')
    await res.text()
    const [span] = await tracing.waitForSpans(1)
    expect(span!.attributes).toMatchObject({
      'http.response.header.x-request-id': ['R1'],
      'http.response.header.x-hook': ['H1'],
      'http.response.header.x-raw': ['W1'],
      'http.response.header.x-many': ['a', 'b'],
      'http.response.header.set-cookie': [REDACTED],
    })
    expect(span!.attributes['http.response.header.x-gone']).toBeUndefined()
    expect(JSON.stringify(span!.attributes)).not.toContain('s3cr3t')
  })

  it('records reply.header() when nothing touched reply.raw', async () => {
    await (await fetch(`${url}/only-reply`)).text()
    const [span] = await tracing.waitForSpans(1)
    expect(span!.attributes['http.response.header.x-request-id']).toEqual(['R2'])
    expect(span!.attributes['http.response.header.x-hook']).toEqual(['H1'])
  })
})
