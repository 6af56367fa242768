console.log(
  'The tracehop demo (three traced services and a queue, printed as waterfalls) is being built.',
)
console.log(
  'Until it lands, `npx -y pnpm@10 test` runs every test against real servers on 127.0.0.1.',
)
