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

const BATCH = 256

/**
 * What the socket micro-benchmarks measure: `rounds` rounds of `requests` requests to each of
 * the servers behind `clients` (client.cjs), the clients taking turns batch by batch, after a
 * short warm-up round. Resolves to each round's CPU µs per request of each server: this
 * process's CPU, servers and client together (the client's part is the same for every server).
 * `afterRound(r)`, when given, runs after each round: `r` is -1 for the warm-up, then 0, 1, ...
 */
async function socketRounds(clients, requests, rounds, afterRound = () => {}) {
  const round = async (count) => {
    const batches = Math.ceil(count / BATCH)
    const cpu = await inTurns(clients.length, batches, async (at) => {
      const before = process.cpuUsage()
      await clients[at].send(BATCH)
      const used = process.cpuUsage(before)
      return used.user + used.system
    })
    return cpu.map((us) => us / (batches * BATCH))
  }
  await round(Math.min(requests, 5000)) // warm-up
  afterRound(-1)
  const results = []
  for (let r = 0; r < rounds; r++) {
    results.push(await round(requests))
    afterRound(r)
  }
  return results
}

module.exports = { inTurns, socketRounds }
