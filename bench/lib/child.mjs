// Starts one variant's server process and talks to it over IPC (see server.cjs).
import { fork } from 'node:child_process'
import process from 'node:process'
import { randomBytes } from 'node:crypto'
import { fileURLToPath } from 'node:url'

const SERVER = fileURLToPath(new URL('../server.cjs', import.meta.url))

/** A fresh client trace context: the harness checks the server continued exactly this. */
export function clientContext(sampled) {
  const traceId = randomBytes(16).toString('hex')
  const parentSpanId = randomBytes(8).toString('hex')
  return {
    traceId,
    parentSpanId,
    traceparent: `00-${traceId}-${parentSpanId}-${sampled ? '01' : '00'}`,
  }
}

/**
 * Forks server.cjs for one variant and resolves once it listens.
 * @returns {Promise<{ port: number, pid: number, ask: (type: string, extra?: object) => Promise<any>, close: () => Promise<void> }>}
 */
export function startServer(config, { execArgv = [] } = {}) {
  const child = fork(SERVER, [JSON.stringify(config)], {
    execArgv,
    // As deployed: Express and tracehop (lost-context diagnostics) both look at NODE_ENV.
    env: { ...process.env, NODE_ENV: process.env.NODE_ENV ?? 'production' },
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  })
  const waiting = new Map()
  let failure
  const failAll = (error) => {
    failure ??= error
    for (const { reject } of waiting.values()) reject(failure)
    waiting.clear()
  }
  const expect = (type) =>
    failure
      ? Promise.reject(failure)
      : new Promise((resolve, reject) => waiting.set(type, { resolve, reject }))

  child.on('message', (message) => {
    if (message.type === 'error') {
      failAll(new Error(message.message))
      return
    }
    const waiter = waiting.get(message.type)
    if (waiter) {
      waiting.delete(message.type)
      waiter.resolve(message)
    }
  })
  child.on('error', (error) => failAll(error))
  const exited = new Promise((resolve) => {
    child.on('exit', (code, signal) => {
      failAll(new Error(`server exited early (code ${code}, signal ${signal})`))
      resolve()
    })
  })

  const replies = { start: 'started', stop: 'stopped', sample: 'sampled' }
  return expect('ready').then((ready) => ({
    port: ready.port,
    pid: ready.pid,
    async ask(type, extra = {}) {
      if (!child.connected) throw failure ?? new Error('server is gone')
      const reply = expect(replies[type])
      child.send({ type, ...extra })
      return (await reply).result
    },
    async close() {
      if (child.exitCode === null && child.signalCode === null && child.connected) {
        child.send({ type: 'exit' })
        const timer = setTimeout(() => child.kill('SIGKILL'), 10_000)
        await exited
        clearTimeout(timer)
      }
    },
  }))
}
