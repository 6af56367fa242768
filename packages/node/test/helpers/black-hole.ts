import { createServer, type Server, type Socket } from 'node:net'
import { type AddressInfo } from 'node:net'

/** A collector that accepts connections and never answers. */
export interface BlackHole {
  readonly port: number
  readonly url: string
  /** Connections accepted so far. */
  readonly accepted: number
  /** Stops listening and drops every connection it holds (as a restarted collector would). */
  close(): Promise<void>
}

/** Listens on 127.0.0.1 (`port`, default any), reads whatever comes and never writes a byte. */
export async function startBlackHole(port = 0): Promise<BlackHole> {
  const sockets = new Set<Socket>()
  let accepted = 0
  const server: Server = createServer((socket) => {
    accepted++
    sockets.add(socket)
    socket.on('close', () => sockets.delete(socket))
    socket.on('error', () => {})
    socket.resume()
  })
  await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve))
  const bound = (server.address() as AddressInfo).port
  return {
    port: bound,
    url: `http://127.0.0.1:${bound}`,
    get accepted() {
      return accepted
    },
    close: () =>
      new Promise<void>((resolve) => {
        for (const socket of sockets) socket.destroy()
        server.close(() => resolve())
      }),
  }
}
