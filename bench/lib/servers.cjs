'use strict'
// How each variant's tracer is wired into the bench app, for the three frameworks: nothing (bare),
// the two floors, tracehop's adapters, and a hook for the deliberately broken tracers of
// `--self-test`. server.cjs serves one variant per process; micro/floor.cjs serves several in
// one process. Both get the same app (apps/*.cjs) and the same floors from here.

const http = require('node:http')

/** Loads one export of a built tracehop package, with a message that says what is missing. */
function tracehop(pkg, name) {
  let mod
  try {
    mod = require(pkg)
  } catch (error) {
    throw new Error(`${pkg} cannot be loaded (${error.message}); run \`pnpm -r build\``)
  }
  if (typeof mod[name] !== 'function' && typeof mod[name] !== 'object') {
    throw new Error(
      `${pkg} has no \`${name}\` export yet; is the package built (\`pnpm -r build\`)?`,
    )
  }
  return mod[name]
}

const kFloor = Symbol('bench.floor')
const kRoute = Symbol('bench.route')

/**
 * The two floors over one SDK's `api`.
 *
 * `floor`: no span, no propagation, only what any AsyncLocalStorage-based tracer must do, i.e.
 * run the rest of the request inside a context of its own (which turns on Node's async hooks for
 * every promise and async resource from then on).
 *
 * `sdkFloor`: the least any tracer on the OpenTelemetry SDK does per request. One W3C extract,
 * one SERVER span with the stable HTTP attributes, the handler inside `context.with`, and on
 * `finish` the route, the status code, an error status for 5xx and `end()`. Nothing else.
 * `route()` reads the matched route template at the end.
 */
function floors(api) {
  const tracer = api.trace.getTracer('bench-sdk-floor')
  const floor = (req) => api.ROOT_CONTEXT.setValue(kFloor, req)
  const sdkFloor = (req, res, route) => {
    const parent = api.propagation.extract(api.ROOT_CONTEXT, req.headers)
    const socket = req.socket
    const url = req.url
    const q = url.indexOf('?')
    const span = tracer.startSpan(
      req.method,
      {
        kind: api.SpanKind.SERVER,
        attributes: {
          'http.request.method': req.method,
          'url.path': q === -1 ? url : url.slice(0, q),
          'url.scheme': 'http',
          'server.address': '127.0.0.1',
          'server.port': socket.localPort,
          'client.address': socket.remoteAddress,
          'network.protocol.version': req.httpVersion,
        },
      },
      parent,
    )
    res.once('finish', () => {
      const template = route()
      if (template !== undefined) {
        span.setAttribute('http.route', template)
        span.updateName(`${req.method} ${template}`)
      }
      span.setAttribute('http.response.status_code', res.statusCode)
      if (res.statusCode >= 500) span.setStatus({ code: api.SpanStatusCode.ERROR })
      span.end()
    })
    return api.trace.setSpan(parent, span)
  }
  return { floor, sdkFloor }
}

/** Fastify plugins that open the floor's context in the first onRequest hook. */
function fastifyPlugin(open) {
  function plugin(app, options, done) {
    app.addHook('onRequest', open)
    done()
  }
  plugin[Symbol.for('skip-override')] = true
  return plugin
}

/**
 * `@fastify/otel` registered on one app only, through its `plugin()` (no
 * `registerOnInitialization`, which would instrument every Fastify app of the process).
 */
function fastifyOtelPlugin() {
  const { FastifyOtelInstrumentation } = require('@fastify/otel')
  return new FastifyOtelInstrumentation().plugin()
}

/**
 * Starts the bench app on `framework` with `tracer` wired in and resolves to the listening
 * node:http server (port 0 on 127.0.0.1).
 *
 * - `tracer`: `none`, `floor`, `sdk-floor`, `tracehop`, and on Fastify `fastify-otel-plugin`; any
 *   other value is `none` unless `wrap` handles it (node:http only).
 * - `api`: the SDK's `@opentelemetry/api` (traced variants).
 * - `options`: tracehop's options.
 * - `wrap(handler)`: node:http only, for tracers this module does not know (the broken ones).
 */
async function listen({ framework, tracer, layers, api, probe, options = {}, wrap }) {
  const ours = tracer === 'tracehop'
  const { floor, sdkFloor } = tracer === 'floor' || tracer === 'sdk-floor' ? floors(api) : {}
  if (framework === 'express') {
    const first = ours
      ? [tracehop('@tracehop/express', 'traceMiddleware')(options)]
      : tracer === 'floor'
        ? [(req, res, next) => api.context.with(floor(req), next)]
        : tracer === 'sdk-floor'
          ? [
              (req, res, next) =>
                api.context.with(
                  sdkFloor(req, res, () => req.route?.path),
                  next,
                ),
            ]
          : []
    const app = require('../apps/express.cjs').createApp({ probe, layers, first })
    const server = http.createServer(app)
    await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve))
    return server
  }
  if (framework === 'fastify') {
    const first = ours
      ? [[tracehop('@tracehop/fastify', 'tracingPlugin'), options]]
      : tracer === 'fastify-otel-plugin'
        ? [[fastifyOtelPlugin(), {}]]
        : tracer === 'floor'
          ? [
              [
                fastifyPlugin((request, reply, next) => api.context.with(floor(request.raw), next)),
                {},
              ],
            ]
          : tracer === 'sdk-floor'
            ? [
                [
                  fastifyPlugin((request, reply, next) =>
                    api.context.with(
                      sdkFloor(request.raw, reply.raw, () => request.routeOptions.url),
                      next,
                    ),
                  ),
                  {},
                ],
              ]
            : []
    const app = await require('../apps/fastify.cjs').createApp({ probe, layers, first })
    await app.listen({ port: 0, host: '127.0.0.1' })
    return app.server
  }
  if (framework === 'http') {
    const { createHandler } = require('../apps/node-http.cjs')
    let handler
    if (tracer === 'floor') {
      const inner = createHandler({ probe })
      handler = (req, res) => api.context.with(floor(req), inner, undefined, req, res)
    } else if (tracer === 'sdk-floor') {
      const inner = createHandler({ probe, onRoute: (req, route) => (req[kRoute] = route) })
      handler = (req, res) =>
        api.context.with(
          sdkFloor(req, res, () => req[kRoute]),
          inner,
          undefined,
          req,
          res,
        )
    } else if (ours) {
      const traceHandler = tracehop('@tracehop/core', 'traceHandler')
      const tryGetRequestTrace = tracehop('@tracehop/core', 'tryGetRequestTrace')
      const onRoute = (req, route) => tryGetRequestTrace(req)?.setRoute(route)
      handler = traceHandler(createHandler({ probe, onRoute }), options)
    } else {
      handler = (wrap ?? ((h) => h))(createHandler({ probe }))
    }
    const server = http.createServer(handler)
    await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve))
    return server
  }
  throw new Error(`unknown framework ${framework}`)
}

module.exports = { listen }
