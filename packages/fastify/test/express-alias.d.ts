// The npm alias the wiring tests install Express 5 under, typed with @types/express.
declare module 'express5' {
  import express = require('express')
  export = express
}
