// A TypeScript user (tsc --strict, NodeNext, an ES-module project): typed imports by package name.
import { Client, ApiKey, InvalidApiKeyError, type ApiKeyRecord } from 'noorle'

async function main(): Promise<void> {
  const raw = process.env.NOORLE_DEV_ROOT_KEY
  if (raw === undefined) throw new Error('NOORLE_DEV_ROOT_KEY is not set')
  const key: ApiKey = ApiKey.parse(raw)
  const client = new Client({ apiKey: key, baseUrl: process.env.NOORLE_BASE_URL })
  const me: ApiKeyRecord = await client.whoami()
  if (me.id !== key.accessId) throw new Error(`whoami answered ${me.id}, expected ${key.accessId}`)
  try {
    ApiKey.parse('ak-short')
    throw new Error('a malformed key was accepted')
  } catch (e) {
    if (!(e instanceof InvalidApiKeyError)) throw e
  }
  console.log(`ts: whoami ${me.id} (${me.status})`)
}

main().catch((e: unknown) => {
  console.error(e)
  process.exit(1)
})
