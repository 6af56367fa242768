// `node --import @tracehop/node/register app.js` (or `--require`): tracing from the OTEL_*
// variables alone, before the app's first line runs.
import { startTracing } from './start.js'

startTracing()
