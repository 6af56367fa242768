import {
  closestName,
  createRequestLifecycle,
  resetUnknownOptionReports,
  TRACE_OPTION_KEYS,
  traceHandler,
  unknownOptionMessages,
  type TraceOptions,
} from '../src/index.js'
import { editDistance } from '../src/option-keys.js'
import { captureDiag } from './support/diag.js'

describe('editDistance', () => {
  it.each([
    ['ignore', 'ignore', 0],
    ['ignor', 'ignore', 1],
    ['serviceNmae', 'serviceName', 1], // one transposition
    ['IGNORE', 'ignore', 0],
    ['', 'trust', 5],
    ['metrcis', 'metrics', 1],
    ['spanNames', 'spanName', 1],
  ])('%s -> %s is %d', (a, b, distance) => {
    expect(editDistance(a, b)).toBe(distance)
  })
})

describe('closestName', () => {
  it('suggests the nearest known name within a third of the letters', () => {
    expect(closestName('ignor', TRACE_OPTION_KEYS)).toBe('ignore')
    expect(closestName('requesthook', TRACE_OPTION_KEYS)).toBe('requestHook')
    expect(closestName('trustproxy', TRACE_OPTION_KEYS)).toBe('trustProxy')
    expect(closestName('captureHeader', TRACE_OPTION_KEYS)).toBe('captureHeaders')
  })

  it('suggests nothing for a name far from every option', () => {
    expect(closestName('serviceName', TRACE_OPTION_KEYS)).toBeUndefined()
    expect(closestName('x', TRACE_OPTION_KEYS)).toBeUndefined()
  })
})

describe('unknownOptionMessages', () => {
  it('names each unknown key, with a did-you-mean when one is near', () => {
    expect(
      unknownOptionMessages({ ignor: [], trust: 'link', colour: 'red' }, TRACE_OPTION_KEYS),
    ).toEqual([
      'unknown option "ignor" (did you mean "ignore"?) is ignored',
      'unknown option "colour" is ignored',
    ])
  })

  it('is empty when every key is known', () => {
    const all = Object.fromEntries(TRACE_OPTION_KEYS.map((key) => [key, undefined]))
    expect(unknownOptionMessages(all, TRACE_OPTION_KEYS)).toEqual([])
  })
})

describe('unknown options of the engine', () => {
  let diag: ReturnType<typeof captureDiag>
  beforeEach(() => {
    resetUnknownOptionReports()
    diag = captureDiag()
  })
  afterEach(() => diag.restore())

  it('warns once through diag, naming the owner, the key and the option it resembles', () => {
    const options = { ignor: ['/healthz'] } as unknown as TraceOptions
    createRequestLifecycle(options, '@tracehop/express')
    createRequestLifecycle(options, '@tracehop/express')
    expect(diag.messages).toEqual([
      'warn @tracehop/express: unknown option "ignor" (did you mean "ignore"?) is ignored',
    ])
  })

  it('knows the keys an adapter reads itself', () => {
    const options = { logCorrelation: false, logCorelation: true } as unknown as TraceOptions
    createRequestLifecycle(options, '@tracehop/fastify', ['logCorrelation'])
    expect(diag.messages).toEqual([
      'warn @tracehop/fastify: unknown option "logCorelation" (did you mean "logCorrelation"?) is ignored',
    ])
  })

  it('warns for traceHandler options too', () => {
    traceHandler(() => undefined, { reqestHook: () => undefined } as unknown as TraceOptions)
    expect(diag.messages).toEqual([
      'warn @tracehop/core: unknown option "reqestHook" (did you mean "requestHook"?) is ignored',
    ])
  })

  it('says nothing for known options', () => {
    createRequestLifecycle({ ignore: ['/healthz'], trust: 'link' }, '@tracehop/express')
    expect(diag.messages).toEqual([])
  })
})
