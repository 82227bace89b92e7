// An ES-module user: named imports by package name, parse a key, call whoami on the local server.
import { createRequire } from 'node:module'
import { Client, ApiKey, InvalidApiKeyError } from 'noorle'

const key = ApiKey.parse(process.env.NOORLE_DEV_ROOT_KEY)
const me = await new Client({ apiKey: key, baseUrl: process.env.NOORLE_BASE_URL }).whoami()
if (me.id !== key.accessId) throw new Error(`whoami answered ${me.id}, expected ${key.accessId}`)
// One module instance for import and require: errors from either are instances of the other's classes.
const cjs = createRequire(import.meta.url)('noorle')
let caught
try {
  cjs.ApiKey.parse('not a key')
} catch (e) {
  caught = e
}
if (!(caught instanceof InvalidApiKeyError)) throw new Error(`expected InvalidApiKeyError, got ${caught}`)
console.log(`esm: whoami ${me.id}`)
