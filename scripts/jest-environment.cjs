// The Node test environment, plus one check. Jest runs many test files in one worker, and
// `node:http`/`node:https` are shared by all of them (its module registry never copies
// built-ins). A file that patches them and does not undo it changes every file after it in that
// worker: the propagation harness then times out test by test, far from the cause. Here the file
// that leaves a patch behind fails, by name, and the worker's first-seen functions are put back
// so the next file starts clean. It runs in teardown, after every afterAll of the file.
'use strict'

const http = require('node:http')
const https = require('node:https')
const { TestEnvironment } = require('jest-environment-node')

const PRISTINE = Symbol.for('tracehop.test.pristineHttp')

/** The functions an HTTP instrumentation replaces, as [label, owner, property]. */
const targets = [
  ['http.request', http, 'request'],
  ['http.get', http, 'get'],
  ['http.Server.prototype.emit', http.Server.prototype, 'emit'],
  ['https.request', https, 'request'],
  ['https.get', https, 'get'],
  ['https.Server.prototype.emit', https.Server.prototype, 'emit'],
]

// The first file in a worker records what it found; teardown keeps that true for the rest.
if (!http[PRISTINE]) {
  Object.defineProperty(http, PRISTINE, { value: targets.map(([, owner, name]) => owner[name]) })
}

class GuardedEnvironment extends TestEnvironment {
  async teardown() {
    const pristine = http[PRISTINE]
    const left = []
    targets.forEach(([label, owner, name], i) => {
      if (owner[name] !== pristine[i]) {
        left.push(label)
        owner[name] = pristine[i]
      }
    })
    await super.teardown()
    if (left.length > 0) {
      throw new Error(
        `this test file left ${left.join(', ')} patched; undo the patch in its afterAll ` +
          '(put back here so later files in this worker are not affected)',
      )
    }
  }
}

module.exports = GuardedEnvironment
