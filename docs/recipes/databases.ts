// PostgreSQL with pg and a Redis cache with ioredis: @opentelemetry/instrumentation-pg and
// -ioredis (registered by databases-tracing.ts through startTracing({ instrumentations })) record a
// CLIENT span per query and per command, children of the request's SERVER span. Load tracing
// first, or the drivers are loaded unpatched and their calls are not traced.
// Run it: OTEL_SERVICE_NAME=orders node --import tsx --import ./databases-tracing.ts databases.ts
import { traceErrors, traceMiddleware } from '@tracehop/express'
import express from 'express'
import { Redis } from 'ioredis'
import { randomUUID } from 'node:crypto'
import { once } from 'node:events'
import type { AddressInfo } from 'node:net'
import { pathToFileURL } from 'node:url'
import pg from 'pg'

export async function start({
  port = 0,
  postgres = 'postgres://postgres@127.0.0.1:5432/test',
  redis: redisUrl = 'redis://127.0.0.1:6379',
  table = 'orders',
} = {}) {
  const pool = new pg.Pool({ connectionString: postgres, max: 4 })
  await pool.query(`CREATE TABLE IF NOT EXISTS ${table} (id uuid PRIMARY KEY, sku text NOT NULL)`)
  const redis = new Redis(redisUrl)

  const app = express()
  app.use(traceMiddleware())
  app.use(express.json())
  app.post('/orders', async (req, res) => {
    const id = randomUUID()
    await pool.query(`INSERT INTO ${table} (id, sku) VALUES ($1, $2)`, [id, req.body.sku])
    res.status(201).json({ id })
  })
  // read through the cache: Redis first, PostgreSQL on a miss, then remembered for a minute
  app.get('/orders/:id', async (req, res) => {
    const key = `${table}:${req.params.id}`
    const cached = await redis.get(key)
    if (cached !== null) return void res.json(JSON.parse(cached))
    const { rows } = await pool.query(`SELECT id, sku FROM ${table} WHERE id = $1`, [req.params.id])
    if (rows.length === 0) return void res.status(404).json({ error: 'no such order' })
    await redis.set(key, JSON.stringify(rows[0]), 'EX', 60)
    res.json(rows[0])
  })
  app.use(traceErrors())

  const server = app.listen(port, '127.0.0.1')
  await once(server, 'listening')
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    pool,
    redis,
    close: async () => {
      server.close()
      await Promise.all([pool.end(), redis.quit()])
    },
  }
}

if (import.meta.url === pathToFileURL(process.argv[1]).href) {
  start().then(async (app) => {
    const placed = await fetch(`${app.url}/orders`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ sku: 'book-1' }),
    })
    const { id } = (await placed.json()) as { id: string }
    for (const attempt of ['first', 'again']) {
      const found = await fetch(`${app.url}/orders/${id}`)
      console.log(`${attempt} ${id}: ${found.status} ${await found.text()}`)
    }
    await app.close()
  })
}
