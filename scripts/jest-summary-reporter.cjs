// Prints one plain closing line ("tests: N passed, N failed[, N skipped]") after Jest's own
// summary, so tools that read the last line of a run see the counts without parsing Jest output.
class SummaryReporter {
  onRunComplete(_contexts, results) {
    const skipped = results.numPendingTests + results.numTodoTests
    const line = `tests: ${results.numPassedTests} passed, ${results.numFailedTests} failed`
    process.stdout.write(`\n${skipped > 0 ? `${line}, ${skipped} skipped` : line}\n`)
  }
}
module.exports = SummaryReporter
