console.log('The tracehop benchmark (cost per request against the peers) is being built.')
console.log(
  'Until it lands, `npx -y pnpm@10 test` runs every test against real servers on 127.0.0.1.',
)
