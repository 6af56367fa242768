'use strict'
// How the micro-benchmarks that compare variants in one process share it: each variant runs a
// batch in turn, in a fresh random order every time. A fixed order favours whichever variant
// runs twice in a row where one pass ends and the next begins (its code and data still in the
// caches): with four servers in depth.cjs that was worth 7-10 µs a request.

function shuffle(xs) {
  for (let i = xs.length - 1; i > 0; i--) {
    const j = Math.floor(Math.random() * (i + 1))
    ;[xs[i], xs[j]] = [xs[j], xs[i]]
  }
}

/**
 * Runs `turn(i)` for each of `count` variants, `batches` times over, in a random order each time;
 * resolves to what each variant's turns returned, summed.
 */
async function inTurns(count, batches, turn) {
  const total = new Array(count).fill(0)
  const order = Array.from({ length: count }, (_, i) => i)
  for (let b = 0; b < batches; b++) {
    shuffle(order)
    for (const i of order) total[i] += await turn(i)
  }
  return total
}

module.exports = { inTurns }
