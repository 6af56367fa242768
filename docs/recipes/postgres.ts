// PostgreSQL with pg: @opentelemetry/instrumentation-pg (registered by postgres-tracing.ts through
// startTracing({ instrumentations })) records a CLIENT span per query, a child of the request's
// SERVER span. Load tracing first, or pg is loaded unpatched and its queries are not traced.
// Run it: OTEL_SERVICE_NAME=orders node --import tsx --import ./postgres-tracing.ts postgres.ts
import { traceErrors, traceMiddleware } from '@tracehop/express'
import express from 'express'
import { randomUUID } from 'node:crypto'
import { once } from 'node:events'
import type { AddressInfo } from 'node:net'
import { pathToFileURL } from 'node:url'
import pg from 'pg'

export async function start({
  port = 0,
  connectionString = 'postgres://postgres@127.0.0.1:5432/test',
  table = 'orders',
} = {}) {
  const pool = new pg.Pool({ connectionString, max: 4 })
  await pool.query(`CREATE TABLE IF NOT EXISTS ${table} (id uuid PRIMARY KEY, sku text NOT NULL)`)

  const app = express()
  app.use(traceMiddleware())
  app.use(express.json())
  app.post('/orders', async (req, res) => {
    const id = randomUUID()
    await pool.query(`INSERT INTO ${table} (id, sku) VALUES ($1, $2)`, [id, req.body.sku])
    res.status(201).json({ id })
  })
  app.get('/orders/:id', async (req, res) => {
    const { rows } = await pool.query(`SELECT id, sku FROM ${table} WHERE id = $1`, [req.params.id])
    if (rows.length === 0) res.status(404).json({ error: 'no such order' })
    else res.json(rows[0])
  })
  app.use(traceErrors())

  const server = app.listen(port, '127.0.0.1')
  await once(server, 'listening')
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    pool,
    close: async () => {
      server.close()
      await pool.end()
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
    const found = await fetch(`${app.url}/orders/${id}`)
    console.log(`order ${id}: ${found.status} ${await found.text()}`)
    await app.close()
  })
}
