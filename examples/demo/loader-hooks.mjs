// Module hooks for loader.mjs (they run on Node's loader thread).
import { existsSync } from 'node:fs'
import { readFile } from 'node:fs/promises'
import { fileURLToPath } from 'node:url'
import { transform } from 'esbuild'

const packages = new URL('../../packages/', import.meta.url)
const ENTRY = /^@tracehop\/(core|express|fastify|node|viewer)(\/register)?$/

export async function resolve(specifier, context, nextResolve) {
  const entry = ENTRY.exec(specifier)
  if (entry) {
    const file = entry[2] ? 'register.ts' : 'index.ts'
    return { url: new URL(`${entry[1]}/src/${file}`, packages).href, shortCircuit: true }
  }
  // Sources import siblings as `./x.js` (NodeNext style); the file on disk is `./x.ts`.
  if (
    context.parentURL?.endsWith('.ts') &&
    specifier.startsWith('.') &&
    specifier.endsWith('.js')
  ) {
    const ts = new URL(`${specifier.slice(0, -3)}.ts`, context.parentURL)
    if (existsSync(fileURLToPath(ts))) return { url: ts.href, shortCircuit: true }
  }
  return nextResolve(specifier, context)
}

export async function load(url, context, nextLoad) {
  if (!url.endsWith('.ts')) return nextLoad(url, context)
  const source = await readFile(fileURLToPath(url), 'utf8')
  const { code } = await transform(source, {
    loader: 'ts',
    format: 'esm',
    target: 'node20',
    sourcemap: 'inline',
    sourcefile: fileURLToPath(url),
  })
  return { format: 'module', source: code, shortCircuit: true }
}
