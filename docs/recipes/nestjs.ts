// NestJS 11 on either HTTP adapter: traceMiddleware on the Express app, tracingPlugin on the
// Fastify instance, each added first, before the app is handed to Nest (whose adapter adds its own
// middleware and hooks when it is made: CORS, not-found, Nest middleware). Spans are named after Nest's route
// templates (GET /orders/:id). An interceptor records the exceptions Nest turns into responses.
// Needs "experimentalDecorators": true in tsconfig.json. Constructor parameters use @Inject(...)
// so that it also runs under tsx/esbuild, which do not emit decorator metadata.
// Run it: node --import tsx --import @tracehop/node/register nestjs.ts [express|fastify]
import 'reflect-metadata'
import {
  Controller,
  Get,
  HttpException,
  Inject,
  Injectable,
  Module,
  NotFoundException,
  Param,
  type CallHandler,
  type LogLevel,
  type ExecutionContext,
  type NestInterceptor,
} from '@nestjs/common'
import { NestFactory } from '@nestjs/core'
import { ExpressAdapter, type NestExpressApplication } from '@nestjs/platform-express'
import { FastifyAdapter, type NestFastifyApplication } from '@nestjs/platform-fastify'
import { tryGetRequestTrace, withSpan } from '@tracehop/core'
import { traceMiddleware } from '@tracehop/express'
import { tracingPlugin } from '@tracehop/fastify'
import express from 'express'
import Fastify from 'fastify'
import { pathToFileURL } from 'node:url'
import { catchError, throwError, type Observable } from 'rxjs'

@Injectable()
class OrdersService {
  load(id: string) {
    return withSpan('orders.load', { attributes: { 'order.id': id } }, async () => {
      if (id === 'explode') throw new Error('ledger unavailable')
      if (id === 'missing') throw new NotFoundException(`order ${id} not found`)
      return { id, status: 'shipped' }
    })
  }
}

@Controller('orders')
class OrdersController {
  constructor(@Inject(OrdersService) private readonly orders: OrdersService) {}

  @Get(':id')
  get(@Param('id') id: string) {
    return this.orders.load(id)
  }
}

/** Nest answers exceptions itself; record server errors (not 4xx HttpExceptions) on the span. */
@Injectable()
class TraceErrorsInterceptor implements NestInterceptor {
  intercept(ctx: ExecutionContext, next: CallHandler): Observable<unknown> {
    return next.handle().pipe(
      catchError((error: unknown) => {
        if (!(error instanceof HttpException) || error.getStatus() >= 500) {
          const request = ctx.switchToHttp().getRequest<{ raw?: object }>()
          tryGetRequestTrace(request.raw ?? request)?.recordError(error) // Fastify: request.raw
        }
        return throwError(() => error)
      }),
    )
  }
}

@Module({ controllers: [OrdersController], providers: [OrdersService] })
class AppModule {}

export async function start({
  adapter = 'express' as 'express' | 'fastify',
  port = 0,
  logger = ['error', 'warn'] as false | LogLevel[],
} = {}) {
  let app: NestExpressApplication | NestFastifyApplication
  if (adapter === 'express') {
    const server = express()
    server.use(traceMiddleware({ ignore: ['/healthz'] })) // first, before Nest's own middleware
    app = await NestFactory.create<NestExpressApplication>(AppModule, new ExpressAdapter(server), {
      logger,
    })
  } else {
    const server = Fastify()
    await server.register(tracingPlugin, { ignore: ['/healthz'] }) // first, before Nest's hooks
    app = await NestFactory.create<NestFastifyApplication>(AppModule, new FastifyAdapter(server), {
      logger,
    })
  }
  app.useGlobalInterceptors(new TraceErrorsInterceptor())
  await app.listen(port, '127.0.0.1')
  return { url: await app.getUrl(), close: () => app.close() }
}

if (import.meta.url === pathToFileURL(process.argv[1]).href) {
  const adapter = process.argv[2] === 'fastify' ? 'fastify' : 'express'
  start({ adapter, port: 3000 }).then(({ url }) => console.log(`GET ${url}/orders/42`))
}
