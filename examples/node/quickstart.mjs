// The Noorle quickstart in Node: service accounts, scoped keys, rotation and the key lifecycle.
// Run with NOORLE_API_KEY (a key with manage permission) and NOORLE_BASE_URL set: ./run.sh
import { Client, AuthenticationError, PermissionDeniedError } from 'noorle'

const baseUrl = process.env.NOORLE_BASE_URL
let failures = 0
const step = (msg) => console.log(`\n== ${msg}`)
const expect = (ok, what) => {
  console.log(`   ${ok ? 'ok  ' : 'FAIL'} ${what}`)
  if (!ok) failures++
}
// Resolves to the error class the call rejected with, or null when it succeeded.
const failsWith = (p) => p.then(() => null, (e) => e)
const clientFor = (key) => new Client({ apiKey: key, baseUrl })

// The management key comes from the loading chain (NOORLE_API_KEY here).
const admin = new Client()
console.log(`management key from ${admin.keySource().kind}; server ${admin.baseUrl}`)

step('create a service account')
const created = await admin.serviceAccounts.create({
  name: `quickstart-node-${Date.now()}`,
  description: 'created by examples/node',
  role: 'developer',
})
const sa = created.service_account
console.log(`   service account ${sa.name} (${sa.id}), role ${sa.role}`)
console.log(`   first key, shown ONCE in full (it will not be shown again): ${created.key.exposeSecret()}`)
console.log(`   from now on it prints redacted: ${created.key}`)
const first = created.key

try {
  step('call the API with the service account key (X-API-Key)')
  const sac = clientFor(first)
  const me = await sac.whoami()
  expect(me.id === first.accessId, `GET /v1/api-keys/self -> ${me.name} (${me.id})`)
  const agents = await sac.request('GET', '/v1/agents')
  expect(agents.status === 200, `GET /v1/agents -> ${agents.json.agents.map((a) => a.id).join(', ')}`)

  step("list the account's keys")
  for await (const k of admin.serviceAccounts.listAllKeys(sa.id)) {
    console.log(`   ${k.id} ${k.name} ${k.status} last_used_at=${k.last_used_at?.toISOString() ?? 'never'}`)
  }

  step('create a key scoped to agent agt_weather')
  const scoped = await sac.apiKeys.create({
    name: 'weather-only',
    permissions: ['read'],
    scope: { type: 'resources', resources: [{ type: 'agent', id: 'agt_weather' }] },
  })
  console.log(`   scoped key ${scoped.key}`)
  const sc = clientFor(scoped.key)
  const weather = await sc.request('GET', '/v1/agents/agt_weather')
  expect(weather.json.agent.id === 'agt_weather', 'reads agt_weather')
  const denied = await failsWith(sc.request('GET', '/v1/agents/agt_support'))
  expect(denied instanceof PermissionDeniedError, `agt_support -> ${denied?.status} ${denied?.code}`)

  step('rotate the first key with a 3600 s grace period')
  const rotated = await admin.apiKeys.rotate(first.accessId, { grace_period_seconds: 3600 })
  console.log(`   new key ${rotated.key}; the old key stops working at ${rotated.previous.revoked_at?.toISOString()}`)
  expect((await clientFor(first).whoami()).id === first.accessId, 'the old key still works (grace period)')
  const fresh = clientFor(rotated.key)
  expect((await fresh.whoami()).id === rotated.key.accessId, 'the new key works')

  step('deactivate the new key, then activate it again')
  await admin.apiKeys.deactivate(rotated.key.accessId)
  let e = await failsWith(fresh.whoami())
  expect(e instanceof AuthenticationError, `deactivated -> ${e?.status} ${e?.code}`)
  await admin.apiKeys.activate(rotated.key.accessId)
  expect((await fresh.whoami()).status === 'active', 'activated again -> works')

  step('revoke the new key')
  await admin.apiKeys.revoke(rotated.key.accessId)
  e = await failsWith(fresh.whoami())
  expect(e instanceof AuthenticationError, `revoked -> ${e?.status} ${e?.code}`)
} catch (err) {
  console.error(`unexpected error: ${err.name}: ${err.message}`)
  failures++
} finally {
  step('delete the service account')
  await admin.serviceAccounts.delete(sa.id)
  console.log(`   deleted ${sa.id}`)
}

console.log(failures === 0 ? '\nall expectations held' : `\n${failures} expectation(s) failed`)
process.exit(failures === 0 ? 0 : 1)
