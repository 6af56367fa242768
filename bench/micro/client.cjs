'use strict'
// The raw-socket keep-alive client of the micro-benchmarks: a few connections to one server, each
// sending the same request again as soon as the previous response is in. No HTTP parser: every
// response ends with its JSON body's closing brace, which is all the client looks for.

const net = require('node:net')

/**
 * Opens `connections` keep-alive connections to 127.0.0.1:`port`. `send(count)` resolves once
 * `count` requests, spread over the connections, have been answered; `close()` ends them.
 */
async function openClient(port, raw, connections = 8) {
  const sockets = await Promise.all(
    Array.from(
      { length: connections },
      () =>
        new Promise((resolve, reject) => {
          const socket = net.connect(port, '127.0.0.1', () => resolve(socket))
          socket.setEncoding('latin1')
          socket.once('error', reject)
        }),
    ),
  )
  const send = (count) =>
    new Promise((done) => {
      let left = count
      let answered = 0
      for (const socket of sockets) {
        let buffered = ''
        const next = () => {
          if (left <= 0) return
          left--
          socket.write(raw)
        }
        const onData = (chunk) => {
          buffered += chunk
          let at
          while ((at = buffered.indexOf('}')) !== -1) {
            buffered = buffered.slice(at + 1)
            if (++answered === count) {
              for (const s of sockets) s.removeAllListeners('data')
              done()
              return
            }
            next()
          }
        }
        socket.on('data', onData)
        next()
      }
    })
  const close = () => {
    for (const socket of sockets) socket.end()
  }
  return { send, close }
}

/** A GET of `/users/1` as raw bytes, with `traceparent` when given and any other `headers`. */
function rawRequest(port, traceparent, headers = {}) {
  return Buffer.from(
    `GET /users/1 HTTP/1.1\r\nhost: 127.0.0.1:${port}\r\nuser-agent: ab\r\n` +
      (traceparent === undefined ? '' : `traceparent: ${traceparent}\r\n`) +
      Object.entries(headers)
        .map(([name, value]) => `${name}: ${value}\r\n`)
        .join('') +
      '\r\n',
  )
}

module.exports = { openClient, rawRequest }
