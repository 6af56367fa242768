import { SDK_INFO } from '@opentelemetry/core'
import { loadOptionalPeers, NODE20_INSTALL, sdkLineProblem, sdkMajor } from '../src/peers.js'

describe('the SDK line', () => {
  it('reads the line of the installed SDK', () => {
    expect(sdkMajor()).toBe(Number(String(SDK_INFO['telemetry.sdk.version']).split('.')[0]))
  })

  it('accepts SDK 2 anywhere and SDK 3 from Node 22.15 on', () => {
    expect(sdkLineProblem(2, '20.20.2')).toBeUndefined()
    expect(sdkLineProblem(2, '24.1.0')).toBeUndefined()
    expect(sdkLineProblem(3, '22.15.0')).toBeUndefined()
    expect(sdkLineProblem(3, '24.0.0')).toBeUndefined()
  })

  it('names the versions to install when SDK 3 meets an older Node', () => {
    const problem = sdkLineProblem(3, '22.14.0')
    expect(problem).toBe(
      `the installed OpenTelemetry SDK ${String(SDK_INFO['telemetry.sdk.version'])} needs ` +
        'Node >= 22.15, and this is Node 22.14.0; tracing is off. On Node 20, install the SDK 2 ' +
        `line: ${NODE20_INSTALL}`,
    )
    expect(sdkLineProblem(3, '20.20.2')).toContain('@opentelemetry/sdk-trace@2.12.0')
  })
})

describe('optional peers', () => {
  it('loads an installed one', () => {
    const [grpc] = loadOptionalPeers<[{ Metadata: unknown }]>(['@grpc/grpc-js'], 'gRPC')
    expect(typeof grpc.Metadata).toBe('function')
  })

  it('names the missing ones, with the range of the installed SDK line', () => {
    const range = sdkMajor() >= 3 ? '^0.301.0' : '^0.223.0'
    expect(() =>
      loadOptionalPeers(
        ['@opentelemetry/exporter-not-there', '@grpc/grpc-js'],
        'OTLP over carrier pigeon',
      ),
    ).toThrow(
      new Error(
        'OTLP over carrier pigeon needs @opentelemetry/exporter-not-there, which is not ' +
          `installed: npm install @opentelemetry/exporter-not-there@${range}`,
      ),
    )
  })
})
