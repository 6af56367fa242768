import type { FastifyInstance } from 'fastify'
import { tracingPlugin, type TracingPluginOptions } from '@tracehop/fastify'
import { FASTIFY_VERSIONS, setupTracing } from './helpers.js'

const tracing = setupTracing()
afterAll(() => tracing.shutdown())

describe.each(FASTIFY_VERSIONS)('$name: options', ({ create }) => {
  let app: FastifyInstance
  beforeEach(() => {
    app = create()
  })
  afterEach(() => app.close())

  it('rejects a logCorrelation that is not a boolean', async () => {
    await expect(
      app.register(tracingPlugin, { logCorrelation: 'yes' } as unknown as TracingPluginOptions),
    ).rejects.toThrow(
      new TypeError('@tracehop/fastify: option "logCorrelation" must be a boolean; received "yes"'),
    )
  })

  it('rejects bad core options with the package name', async () => {
    await expect(
      app.register(tracingPlugin, { metrics: 'yes' } as unknown as TracingPluginOptions),
    ).rejects.toThrow(
      new TypeError('@tracehop/fastify: option "metrics" must be a boolean; received "yes"'),
    )
  })

  it('rejects a route config.tracing that is neither false nor an object, when the route is added', async () => {
    await app.register(tracingPlugin, { tracerProvider: tracing.provider })
    expect(() =>
      app.get('/x', { config: { tracing: true as unknown as false } }, async () => 'x'),
    ).toThrow(
      new TypeError(
        '@tracehop/fastify: route config "tracing" of /x must be false or an options object; received true',
      ),
    )
  })

  it('validates per-route options when the route is added', async () => {
    await app.register(tracingPlugin, { tracerProvider: tracing.provider })
    expect(() =>
      app.get(
        '/y',
        { config: { tracing: { trust: 'yes' as unknown as 'link' } } },
        async () => 'y',
      ),
    ).toThrow(/^@tracehop\/fastify: option "trust" must be/)
  })

  it('declares its name and the Fastify majors it supports', () => {
    const meta = tracingPlugin as unknown as Record<symbol, unknown>
    expect(meta[Symbol.for('fastify.display-name')]).toBe('@tracehop/fastify')
    expect(meta[Symbol.for('plugin-meta')]).toMatchObject({
      name: '@tracehop/fastify',
      fastify: '4.x || 5.x',
    })
    expect(meta[Symbol.for('skip-override')]).toBe(true)
  })
})
