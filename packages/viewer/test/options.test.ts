import { normalizeOptions, DEFAULTS } from '../src/options.js'
import { startViewer } from '../src/server/viewer.js'
import type { ViewerOptions } from '../src/types.js'

describe('startViewer options', () => {
  it('applies the defaults', () => {
    expect(normalizeOptions(undefined)).toEqual({
      port: 4318,
      host: '127.0.0.1',
      maxSpans: 100_000,
      file: undefined,
      allowedOrigins: [],
      maxBodyBytes: DEFAULTS.maxBodyBytes,
      maxAttributes: 128,
      maxValueLength: 8192,
    })
  })

  it.each<[unknown, string]>([
    ['nope', '@tracehop/viewer: options must be an object; received "nope"'],
    [
      { port: -1 },
      '@tracehop/viewer: option "port" must be an integer from 0 to 65535; received -1',
    ],
    [
      { port: '4318' },
      '@tracehop/viewer: option "port" must be an integer from 0 to 65535; received "4318"',
    ],
    [
      { port: 1.5 },
      '@tracehop/viewer: option "port" must be an integer from 0 to 65535; received 1.5',
    ],
    [{ host: '' }, '@tracehop/viewer: option "host" must be a non-empty string; received ""'],
    [{ host: 4 }, '@tracehop/viewer: option "host" must be a non-empty string; received 4'],
    [
      { maxSpans: 0 },
      '@tracehop/viewer: option "maxSpans" must be an integer from 1 to 10000000; received 0',
    ],
    [{ file: '' }, '@tracehop/viewer: option "file" must be a non-empty path; received ""'],
    [{ file: {} }, '@tracehop/viewer: option "file" must be a non-empty path; received an object'],
    [
      { allowedOrigins: 'http://localhost:3000' },
      '@tracehop/viewer: option "allowedOrigins" must be an array of origins (like "http://localhost:5173") or "*"; received "http://localhost:3000"',
    ],
    [
      { allowedOrigins: ['http://localhost:3000/path'] },
      '@tracehop/viewer: option "allowedOrigins" must be an array of origins (like "http://localhost:5173") or "*"; received an array of length 1',
    ],
    [
      { maxBodyBytes: 10 },
      '@tracehop/viewer: option "maxBodyBytes" must be an integer from 1024 to 1073741824; received 10',
    ],
    [
      { maxAttributes: 0 },
      '@tracehop/viewer: option "maxAttributes" must be an integer from 1 to 100000; received 0',
    ],
    [
      { maxValueLength: 1 },
      '@tracehop/viewer: option "maxValueLength" must be an integer from 16 to 16777216; received 1',
    ],
  ])('rejects %j', async (options, message) => {
    await expect(startViewer(options as ViewerOptions)).rejects.toThrow(new TypeError(message))
    expect(() => normalizeOptions(options as ViewerOptions)).toThrow(TypeError)
  })

  it('starts on port 0 and reports the real port in its URLs', async () => {
    const viewer = await startViewer({ port: 0 })
    try {
      expect(viewer.port).toBeGreaterThan(0)
      expect(viewer.url).toBe(`http://127.0.0.1:${viewer.port}/`)
      expect(viewer.otlpEndpoint).toBe(`http://127.0.0.1:${viewer.port}`)
      expect((await fetch(`${viewer.otlpEndpoint}/api/stats`)).status).toBe(200)
    } finally {
      await viewer.close()
    }
    await viewer.close() // closing twice is fine
  })
})
