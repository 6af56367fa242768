import { context, propagation, trace } from '@opentelemetry/api'
import { startTracing, type TracingOptions } from '../src/index.js'
import { runFixture } from './helpers/fixtures.js'

afterEach(() => {
  trace.disable()
  context.disable()
  propagation.disable()
})

describe('unknown startTracing() options', () => {
  it('are named once through onWarning, with the option each resembles', async () => {
    const warnings: string[] = []
    const options = {
      serviceName: 'orders',
      exporter: 'none',
      handleSignals: false,
      sampleRate: 0.5,
      colour: 'red',
      onWarning: (message: string) => warnings.push(message),
    }
    const tracing = startTracing(options as TracingOptions)
    await tracing.shutdown()
    expect(warnings).toEqual([
      '@tracehop/node: unknown option "sampleRate" (did you mean "sampleRatio"?) is ignored',
      '@tracehop/node: unknown option "colour" is ignored',
    ])
  })

  it('print on the console of a real process when no onWarning is given', async () => {
    const result = await runFixture('packages/node/test/fixtures/typo-app.ts')
    expect(result.code).toBe(0)
    // the first thing said, once (the fallback service name is warned of after it)
    const lines = result.stderr.split('\n').filter((line) => line.startsWith('@tracehop'))
    expect(lines[0]).toBe(
      '@tracehop/node: unknown option "serviceNmae" (did you mean "serviceName"?) is ignored',
    )
    expect(lines.filter((line) => line.includes('unknown option'))).toHaveLength(1)
  })
})
