// A CommonJS user: require by name, parse a key, call whoami on the local server.
const path = require('node:path')
const { Client, ApiKey } = require('noorle')

async function main() {
  // The addon came from the platform package, not from a build inside `noorle`.
  const addons = Object.keys(require.cache).filter((f) => f.endsWith('.node'))
  const expected = path.join('node_modules', '@noorle', 'noorle-linux-x64-gnu', 'noorle.linux-x64-gnu.node')
  if (addons.length !== 1 || !addons[0].endsWith(expected)) {
    throw new Error(`addon loaded from ${JSON.stringify(addons)}, expected .../${expected}`)
  }
  const key = ApiKey.parse(process.env.NOORLE_DEV_ROOT_KEY)
  const me = await new Client({ apiKey: key, baseUrl: process.env.NOORLE_BASE_URL }).whoami()
  if (me.id !== key.accessId) throw new Error(`whoami answered ${me.id}, expected ${key.accessId}`)
  console.log(`cjs: whoami ${me.id} (addon ${path.relative(process.cwd(), addons[0])})`)
}
main().catch((e) => {
  console.error(e)
  process.exit(1)
})
