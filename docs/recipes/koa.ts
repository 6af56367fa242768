// Koa through the node:http adapter: traceHandler wraps app.callback(), the route template comes
// from @koa/router, and errors Koa catches itself are recorded on the server span.
// Run it: node --import tsx --import @tracehop/node/register koa.ts
import Router from '@koa/router'
import { traceHandler, tryGetRequestTrace, withSpan } from '@tracehop/core'
import Koa from 'koa'
import { createServer } from 'node:http'
import type { AddressInfo } from 'node:net'
import { pathToFileURL } from 'node:url'

export function createApp(): Koa {
  const app = new Koa()
  const router = new Router()

  // Koa answers errors itself (500 + the 'error' event), so the adapter never sees the throw:
  // record it on the server span here.
  app.on('error', (error: unknown, ctx?: Koa.Context) => {
    if (ctx) tryGetRequestTrace(ctx.req)?.recordError(error)
  })

  // Name the span after the route template once the router has matched (`GET /orders/:id`).
  app.use(async (ctx, next) => {
    try {
      await next()
    } finally {
      const route = (ctx as { _matchedRoute?: string | RegExp })._matchedRoute
      if (typeof route === 'string') tryGetRequestTrace(ctx.req)?.setRoute(route)
    }
  })

  router.get('/orders/:id', async (ctx) => {
    const order = await withSpan(
      'orders.load',
      { attributes: { 'order.id': ctx.params.id } },
      async () => ({ id: ctx.params.id, status: 'shipped' }),
    )
    ctx.body = order
  })
  router.get('/fail', () => {
    throw new Error('inventory service unavailable')
  })
  router.get('/healthz', (ctx) => {
    ctx.body = 'ok'
  })

  app.use(router.routes()).use(router.allowedMethods())
  return app
}

export async function start({ port = 0 } = {}) {
  const app = createApp()
  app.silent = true // the 'error' listener above replaces Koa's stderr dump
  const server = createServer(traceHandler(app.callback(), { ignore: ['/healthz'] }))
  await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve))
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`
  return {
    url,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  }
}

if (import.meta.url === pathToFileURL(process.argv[1]).href) {
  start({ port: 3000 }).then(({ url }) => console.log(`GET ${url}/orders/42`))
}
