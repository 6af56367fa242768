import { startOtlpReceiver, type OtlpReceiver } from '../../../test-utils/otlp-receiver.js'
import { runApp } from './helpers/app.js'

// Resource variables, in a real process exporting to a real receiver.
let receiver: OtlpReceiver
beforeEach(async () => {
  receiver = await startOtlpReceiver()
})
afterEach(() => receiver.close())

describe('OTEL_SERVICE_NAME', () => {
  it('names the service on every span', async () => {
    const { report } = await runApp({
      OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url,
      OTEL_SERVICE_NAME: 'checkout',
    })
    expect(report.serviceName).toBe('checkout')
    expect(report.warnings).toEqual([])
    expect(receiver.spans.length).toBe(6)
    expect(new Set(receiver.spans.map((s) => s.resource['service.name']))).toEqual(
      new Set(['checkout']),
    )
  })

  it('loses to the serviceName option', async () => {
    const { report } = await runApp(
      { OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url, OTEL_SERVICE_NAME: 'from-env' },
      { serviceName: 'from-option' },
    )
    expect(report.serviceName).toBe('from-option')
    expect(receiver.spans[0]!.resource['service.name']).toBe('from-option')
  })
})

describe('no service name anywhere', () => {
  it('uses the nearest package.json name and says once how to set one', async () => {
    const { report } = await runApp({ OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url })
    // the fixture runs from packages/node/node_modules/.cache: the nearest named package.json is ours
    expect(report.serviceName).toBe('@tracehop/node')
    expect(report.warnings).toHaveLength(1)
    expect(report.warnings[0]).toMatch(
      /^@tracehop\/node: no service name set; using "@tracehop\/node" from \/.*packages\/node\/package\.json\. Name the service with OTEL_SERVICE_NAME=<name> or startTracing\(\{ serviceName: '<name>' \}\)\.$/,
    )
    expect(receiver.spans[0]!.resource).toMatchObject({
      'service.name': '@tracehop/node',
      'service.version': '0.1.0',
    })
  })
})

describe('OTEL_RESOURCE_ATTRIBUTES', () => {
  it('adds its attributes beside the detected host, process and instance ones', async () => {
    await runApp({
      OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url,
      OTEL_RESOURCE_ATTRIBUTES:
        'service.name=billing,service.version=1.2.3,deployment.environment.name=staging,team=payments',
    })
    const resource = receiver.spans[0]!.resource
    expect(resource).toMatchObject({
      'service.name': 'billing',
      'service.version': '1.2.3',
      'deployment.environment.name': 'staging',
      team: 'payments',
      'telemetry.sdk.language': 'nodejs',
      'process.runtime.name': 'nodejs',
      'host.name': expect.any(String),
      'process.pid': expect.any(Number),
      'service.instance.id': expect.stringMatching(/^[0-9a-f-]{36}$/),
    })
  })

  it('loses to the options', async () => {
    await runApp(
      {
        OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url,
        OTEL_RESOURCE_ATTRIBUTES:
          'service.version=1.2.3,deployment.environment.name=staging,team=payments',
      },
      {
        serviceName: 's',
        serviceVersion: '9.9.9',
        environment: 'prod-eu',
        resourceAttributes: { team: 'core' },
      },
    )
    expect(receiver.spans[0]!.resource).toMatchObject({
      'service.version': '9.9.9',
      'deployment.environment.name': 'prod-eu',
      team: 'core',
    })
  })

  it('takes deployment.environment.name from NODE_ENV when nothing else sets it', async () => {
    await runApp({
      OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url,
      OTEL_SERVICE_NAME: 's',
      NODE_ENV: 'staging',
    })
    expect(receiver.spans[0]!.resource['deployment.environment.name']).toBe('staging')
  })
})
