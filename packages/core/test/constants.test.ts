import { REDACTED } from '../src/index.js'

describe('constants', () => {
  it('redacts with a fixed marker', () => {
    expect(REDACTED).toBe('REDACTED')
  })
})
