// The npm aliases the tests install Express 4 and 5 under; both typed with @types/express.
declare module 'express4' {
  import express = require('express')
  export = express
}
declare module 'express5' {
  import express = require('express')
  export = express
}
