// Reads a request body whole, bounded before and after gzip.
import type { IncomingMessage } from 'node:http'
import { gunzip } from 'node:zlib'

/** Why a body could not be read, with the status the receiver answers. */
export class BodyError extends Error {
  constructor(
    readonly status: 400 | 413 | 415,
    message: string,
  ) {
    super(message)
  }
}

/**
 * Reads `request`'s body, at most `limit` bytes as sent and, with `content-encoding: gzip`, at
 * most `limit` bytes inflated. Rejects with a {@link BodyError}: 413 over the limit, 415 for
 * another encoding, 400 for a corrupt gzip stream.
 */
export async function readBody(request: IncomingMessage, limit: number): Promise<Buffer> {
  const encoding = (request.headers['content-encoding'] ?? 'identity').trim().toLowerCase()
  if (encoding !== 'identity' && encoding !== 'gzip')
    throw new BodyError(415, `content-encoding "${encoding}" is not supported (gzip is)`)
  const declared = Number(request.headers['content-length'])
  if (declared > limit) throw new BodyError(413, `the body is larger than ${limit} bytes`)
  const chunks: Buffer[] = []
  let size = 0
  for await (const chunk of request as AsyncIterable<Buffer>) {
    size += chunk.length
    if (size > limit) throw new BodyError(413, `the body is larger than ${limit} bytes`)
    chunks.push(chunk)
  }
  const body = Buffer.concat(chunks, size)
  if (encoding === 'identity') return body
  return new Promise((resolve, reject) => {
    gunzip(body, { maxOutputLength: limit }, (err, inflated) => {
      if (err === null) resolve(inflated)
      else if (
        err instanceof RangeError ||
        (err as NodeJS.ErrnoException).code === 'ERR_BUFFER_TOO_LARGE'
      )
        reject(new BodyError(413, `the inflated body is larger than ${limit} bytes`))
      else reject(new BodyError(400, `the gzip body is corrupt: ${err.message}`))
    })
  })
}
