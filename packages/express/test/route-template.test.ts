import type { ReadableSpan } from '@opentelemetry/sdk-trace'
import { traceErrors, traceMiddleware } from '@tracehop/express'
import type { Request, Response } from 'express'
import {
  EXPRESS_VERSIONS,
  eventually,
  listen,
  request,
  serverSpans,
  useTracing,
} from './helpers.js'

const tracing = useTracing()

const ok = (_req: Request, res: Response) => {
  res.send('ok')
}

describe.each(EXPRESS_VERSIONS)('route templates (%s)', (_label, express) => {
  async function spanFor(
    build: (app: ReturnType<typeof express>) => void,
    path: string,
    method = 'GET',
  ): Promise<ReadableSpan> {
    tracing.exporter.reset()
    const app = express()
    app.use(traceMiddleware({ tracerProvider: tracing.provider, metrics: false }))
    build(app)
    app.use(traceErrors())
    const server = await listen(app)
    try {
      await request(server.url + path, { method })
    } finally {
      await server.close()
    }
    await eventually(() => expect(serverSpans(tracing.exporter)).toHaveLength(1))
    return serverSpans(tracing.exporter)[0]!
  }

  it('names a top-level route by its template', async () => {
    const span = await spanFor((app) => app.get('/orders/:id', ok), '/orders/42')
    expect(span.name).toBe('GET /orders/:id')
    expect(span.attributes['http.route']).toBe('/orders/:id')
  })

  it('joins the mount paths of nested routers', async () => {
    const span = await spanFor((app) => {
      const v1 = express.Router()
      const orders = express.Router()
      orders.get('/:id', ok)
      v1.use('/orders', orders)
      app.use('/api', v1)
    }, '/api/orders/7')
    expect(span.name).toBe('GET /api/orders/:id')
    expect(span.attributes['http.route']).toBe('/api/orders/:id')
  })

  it('gives a reused router the template of the mount the request went through', async () => {
    const build = (app: ReturnType<typeof express>) => {
      const items = express.Router()
      items.get('/', ok)
      items.get('/:id', ok)
      app.use('/books', items)
      app.use('/films', items)
    }
    expect((await spanFor(build, '/films/3')).attributes['http.route']).toBe('/films/:id')
    expect((await spanFor(build, '/books/3')).attributes['http.route']).toBe('/books/:id')
    expect((await spanFor(build, '/films/')).attributes['http.route']).toBe('/films')
    expect((await spanFor(build, '/films')).name).toBe('GET /films')
  })

  it('is right when a router falls through to a sibling and middleware sit between routers', async () => {
    const build = (app: ReturnType<typeof express>) => {
      const a = express.Router()
      a.use((_req, _res, next) => next())
      a.get('/only-a', ok)
      const b = express.Router()
      b.get('/items/:item', ok)
      app.use('/api', a)
      app.use((_req, _res, next) => setTimeout(next, 1))
      app.use('/api', (_req, _res, next) => next())
      app.use('/api', b)
    }
    const span = await spanFor(build, '/api/items/9')
    expect(span.name).toBe('GET /api/items/:item')
  })

  it('keeps the mount prefix when a nested router has path-less middleware', async () => {
    // the case instrumentation-express loses (http.route missing or prefix-stripped)
    const build = (app: ReturnType<typeof express>) => {
      const api = express.Router()
      api.use((_req, _res, next) => next())
      api.get('/leaf', ok)
      api.get('/items/:id', ok)
      app.use('/api', api)
    }
    expect((await spanFor(build, '/api/leaf')).attributes['http.route']).toBe('/api/leaf')
    expect((await spanFor(build, '/api/items/4')).attributes['http.route']).toBe('/api/items/:id')
  })

  it('takes parameters in mount paths back to their names', async () => {
    const span = await spanFor((app) => {
      const posts = express.Router({ mergeParams: true })
      posts.get('/:postId', ok)
      // the value equals a literal segment of the mount, which must stay literal
      app.use('/users/:user/posts', posts)
    }, '/users/posts/posts/5')
    expect(span.attributes['http.route']).toBe('/users/:user/posts/:postId')
  })

  it('keeps the registered spelling of a mount path when routing ignores case', async () => {
    const span = await spanFor((app) => {
      const router = express.Router()
      router.get('/List', ok)
      app.use('/Api', router)
    }, '/API/list')
    expect(span.attributes['http.route']).toBe('/Api/List')
  })

  it('supports app.route() and router.route()', async () => {
    const span = await spanFor(
      (app) => {
        app.route('/carts/:cart').get(ok).post(ok)
      },
      '/carts/1',
      'POST',
    )
    expect(span.name).toBe('POST /carts/:cart')
    const nested = await spanFor(
      (app) => {
        const router = express.Router()
        router.route('/lines/:line').put(ok)
        app.use('/carts/:cart', router)
      },
      '/carts/1/lines/2',
      'PUT',
    )
    expect(nested.name).toBe('PUT /carts/:cart/lines/:line')
  })

  it('names the routes of a mounted sub-app from its first request on', async () => {
    const app = express()
    app.use(traceMiddleware({ tracerProvider: tracing.provider, metrics: false }))
    const admin = express()
    admin.get('/users/:id', ok)
    const reports = express.Router()
    reports.get('/:year', ok)
    admin.use('/reports', reports)
    app.use('/admin', admin)
    app.get('/after', ok)
    const server = await listen(app)
    try {
      await request(`${server.url}/admin/users/5`)
      await request(`${server.url}/admin/users/6`)
      await request(`${server.url}/admin/reports/2024`)
      await request(`${server.url}/after`)
    } finally {
      await server.close()
    }
    await eventually(() => expect(serverSpans(tracing.exporter)).toHaveLength(4))
    const names = serverSpans(tracing.exporter).map((span) => span.name)
    expect(names).toEqual([
      'GET /admin/users/:id',
      'GET /admin/users/:id',
      'GET /admin/reports/:year',
      'GET /after',
    ])
  })

  it('names the first request of a sub-app that registers the middleware too', async () => {
    const span = await spanFor((app) => {
      const admin = express()
      admin.use(traceMiddleware())
      admin.get('/users/:id', ok)
      app.use('/admin', admin)
    }, '/admin/users/5')
    expect(span.name).toBe('GET /admin/users/:id')
  })

  it('keeps the templates of concurrent requests through shared routers apart', async () => {
    const app = express()
    app.use(traceMiddleware({ tracerProvider: tracing.provider, metrics: false }))
    const delay = (_req: Request, _res: Response, next: () => void) => {
      setTimeout(next, Math.random() * 8)
    }
    const items = express.Router({ mergeParams: true })
    items.use(delay)
    items.get('/', ok)
    items.get('/:id', delay, ok)
    const users = express.Router()
    users.use(delay)
    users.use('/:user/posts', items)
    app.use('/books', items)
    app.use(delay)
    app.use('/films', items)
    app.use('/users', users)
    const server = await listen(app)
    const paths = Array.from({ length: 150 }, (_, n) =>
      n % 3 === 0 ? `/books/${n}` : n % 3 === 1 ? `/films/${n}` : `/users/u${n}/posts/${n}`,
    )
    try {
      await Promise.all(paths.map((path) => request(server.url + path)))
    } finally {
      await server.close()
    }
    await eventually(() => expect(serverSpans(tracing.exporter)).toHaveLength(150))
    for (const span of serverSpans(tracing.exporter)) {
      const path = span.attributes['url.path'] as string
      const expected = path.startsWith('/books/')
        ? '/books/:id'
        : path.startsWith('/films/')
          ? '/films/:id'
          : '/users/:user/posts/:id'
      expect({ path, route: span.attributes['http.route'] }).toEqual({ path, route: expected })
    }
  })

  it('uses the method alone and no http.route on a 404', async () => {
    const span = await spanFor((app) => {
      const router = express.Router()
      router.get('/x', ok)
      app.use('/api', router)
    }, '/api/nothing')
    expect(span.name).toBe('GET')
    expect(span.attributes['http.route']).toBeUndefined()
    expect(span.attributes['http.response.status_code']).toBe(404)
  })

  it('keeps the route of the handler that answered when an earlier route passes with next()', async () => {
    const span = await spanFor((app) => {
      app.get('/files/:name', (_req, _res, next) => next())
      app.get('/files/readme', ok)
    }, '/files/readme')
    expect(span.attributes['http.route']).toBe('/files/readme')
  })

  describe('a route that passes the request on', () => {
    it('names no route when it passes with next() and nothing answers (404)', async () => {
      const span = await spanFor((app) => {
        app.get('/files/:name', (_req, _res, next) => next())
      }, '/files/readme')
      expect(span.attributes['http.response.status_code']).toBe(404)
      expect(span.name).toBe('GET')
      expect(span.attributes['http.route']).toBeUndefined()
    })

    it("names no route when next('route') or next('router') leave it and nothing answers", async () => {
      const skipped = await spanFor((app) => {
        app.get('/files/:name', (_req, _res, next) => next('route'), ok)
      }, '/files/readme')
      expect(skipped.name).toBe('GET')
      expect(skipped.attributes['http.route']).toBeUndefined()
      const left = await spanFor((app) => {
        const router = express.Router()
        router.get('/:name', (_req, _res, next) => next('router'))
        app.use('/files', router)
      }, '/files/readme')
      expect(left.name).toBe('GET')
      expect(left.attributes['http.route']).toBeUndefined()
    })

    it('names no route when middleware after the routes answers', async () => {
      const span = await spanFor((app) => {
        const router = express.Router()
        router.get('/:name', (_req, _res, next) => next())
        app.use('/files', router)
        app.use((_req: Request, res: Response) => {
          res.status(410).send('gone')
        })
      }, '/files/readme')
      expect(span.attributes['http.response.status_code']).toBe(410)
      expect(span.name).toBe('GET')
      expect(span.attributes['http.route']).toBeUndefined()
    })

    it('keeps the route when it fails with next(err) or answers before calling next()', async () => {
      const failed = await spanFor((app) => {
        app.get('/files/:name', (_req, _res, next) => next(new Error('disk on fire')))
      }, '/files/readme')
      expect(failed.attributes['http.response.status_code']).toBe(500)
      expect(failed.name).toBe('GET /files/:name')
      expect(failed.attributes['http.route']).toBe('/files/:name')
      const answered = await spanFor((app) => {
        app.get('/files/:name', (_req, res, next) => {
          res.send('ok')
          next()
        })
      }, '/files/readme')
      expect(answered.name).toBe('GET /files/:name')
      expect(answered.attributes['http.route']).toBe('/files/:name')
    })

    it('gives spanName and responseHook the route that answered', async () => {
      const seen: unknown[] = []
      const app = express()
      app.use(
        traceMiddleware({
          tracerProvider: tracing.provider,
          metrics: false,
          spanName: ({ method, route }) => `${method} ${route ?? '(no route)'}`,
          responseHook: (span) =>
            seen.push((span as unknown as ReadableSpan).attributes['http.route']),
        }),
      )
      app.get('/files/:name', (_req, _res, next) => next())
      app.get('/files/readme', ok)
      const server = await listen(app)
      try {
        await request(`${server.url}/files/readme`)
        await request(`${server.url}/files/other`)
      } finally {
        await server.close()
      }
      await eventually(() => expect(serverSpans(tracing.exporter)).toHaveLength(2))
      const names = serverSpans(tracing.exporter).map((span) => [
        span.attributes['url.path'],
        span.name,
        span.attributes['http.route'],
      ])
      expect(names.sort()).toEqual([
        ['/files/other', 'GET (no route)', undefined],
        ['/files/readme', 'GET /files/readme', '/files/readme'],
      ])
      expect(seen.sort()).toEqual(['/files/readme', undefined])
    })
  })
})
