// Records as spec/sdk.yaml defines them: required fields present, timestamps as Date objects, and
// an unparsable timestamp an error, never a null.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import http from 'node:http'
import { once } from 'node:events'
import { noorle, Client, newAccount, rejectsWith, FAST } from './helpers.mjs'

const SELF = '/v1/api-keys/self'

test('records carry Date timestamps and their required fields', async () => {
  const acct = await newAccount('node-models')
  const c = acct.client()
  const me = await c.whoami()
  assert.ok(me.created_at instanceof Date, String(me.created_at))
  assert.ok(!Number.isNaN(me.created_at.getTime()))
  assert.equal(typeof me.last_six, 'string')
  assert.equal(me.last_six, acct.key.exposeSecret().slice(-6))
  assert.equal(me.expires_at, null)
  assert.equal(me.revoked_at, null)
  // The account's creation is what the server recorded, not a time this process made up.
  const raw = (await c.request('GET', SELF)).json.api_key
  assert.equal(me.created_at.getTime(), Date.parse(raw.created_at))

  const sa = await c.serviceAccounts.get(acct.sa.id)
  assert.ok(sa.created_at instanceof Date)
  assert.equal(sa.description, '')
  assert.ok(acct.sa.created_at instanceof Date)
  assert.ok(acct.record.created_at instanceof Date)

  const rotated = await c.apiKeys.rotate(acct.accessId, { grace_period_seconds: 60 })
  assert.ok(rotated.previous.revoked_at instanceof Date)
  assert.ok(rotated.previous.revoked_at.getTime() > rotated.previous.created_at.getTime())
  assert.ok(rotated.key instanceof noorle.ApiKey)
  const page = await c.apiKeys.list({ service_account_id: acct.sa.id, limit: 10 })
  assert.equal(page.items.length, 2)
  for (const k of page.items) assert.ok(k.created_at instanceof Date, k.id)
})

/** A server answering whoami with the given record (one real record, altered). */
async function serving(record) {
  const srv = http.createServer((req, res) => {
    res.writeHead(200, { 'content-type': 'application/json' })
    res.end(JSON.stringify({ api_key: record }))
  })
  srv.listen(0, '127.0.0.1')
  await once(srv, 'listening')
  return {
    url: `http://127.0.0.1:${srv.address().port}`,
    close() {
      srv.closeAllConnections()
      srv.close()
    },
  }
}

test('an unparsable or missing timestamp is an error, never a null', async () => {
  const acct = await newAccount('node-models-bad')
  const real = (await acct.client().request('GET', SELF)).json.api_key
  const cases = [
    ['created_at', 'yesterday'],
    ['created_at', '2026-02-30T00:00:00Z'],
    ['created_at', null],
    ['last_used_at', '2026-13-01T00:00:00Z'],
  ]
  for (const [field, value] of cases) {
    const srv = await serving({ ...real, [field]: value })
    try {
      const c = new Client({ apiKey: acct.key, baseUrl: srv.url, ...FAST, maxRetries: 0 })
      const e = await rejectsWith(c.whoami(), noorle.APIConnectionError)
      assert.equal(e.kind, 'connection', `${field}: ${value}`)
      assert.match(e.message, /unexpected answer/)
    } finally {
      srv.close()
    }
  }
  // The control: the same server with the real record decodes it.
  const srv = await serving(real)
  try {
    const me = await new Client({ apiKey: acct.key, baseUrl: srv.url, ...FAST }).whoami()
    assert.equal(me.created_at.getTime(), Date.parse(real.created_at))
  } finally {
    srv.close()
  }
})
