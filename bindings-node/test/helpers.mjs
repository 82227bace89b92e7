// Shared by the test files: the harness's server, isolation by service account, fault injection
// and the request log (matched on the test's own access id: other suites may share the server).
import assert from 'node:assert/strict'
import { after } from 'node:test'
import { randomBytes } from 'node:crypto'
import noorle from '../index.js'

export { noorle }
export const { Client, ApiKey } = noorle

export function server() {
  const baseUrl = process.env.NOORLE_BASE_URL
  const rootKey = process.env.NOORLE_DEV_ROOT_KEY
  if (!baseUrl || !rootKey) {
    throw new Error(
      'NOORLE_BASE_URL and NOORLE_DEV_ROOT_KEY are not set: run the tests under the harness, ' +
        'e.g. `scripts/with-devserver bindings-node/test.sh`',
    )
  }
  return { baseUrl, rootKey }
}

// Fast retries so fault tests stay quick; env: false so the process's NOORLE_* never leak in.
export const FAST = { retryBaseDelay: 10, retryMaxDelay: 50, env: false }

export function rootClient(opts = {}) {
  const { baseUrl, rootKey } = server()
  return new Client({ apiKey: rootKey, baseUrl, ...FAST, ...opts })
}

export const unique = (p) => `${p}-${randomBytes(4).toString('hex')}`

/** A fresh service account (role admin by default) and a client factory for its first key. */
export async function newAccount(prefix = 'node-test', role = 'admin') {
  const root = rootClient()
  const created = await root.serviceAccounts.create({ name: unique(prefix), role })
  const { baseUrl } = server()
  const key = created.key
  return {
    sa: created.service_account,
    record: created.api_key,
    key,
    accessId: key.accessId,
    client: (opts = {}) => new Client({ apiKey: key, baseUrl, ...FAST, ...opts }),
  }
}

export async function fault(spec) {
  const res = await fetch(server().baseUrl + '/_dev/faults', {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(spec),
  })
  const text = await res.text()
  assert.equal(res.status, 201, `queueing a fault failed: ${res.status} ${text}`)
  return JSON.parse(text)
}

export async function requestLog(accessId, filter = {}) {
  const q = new URLSearchParams({ access_id: accessId, ...filter })
  const res = await fetch(`${server().baseUrl}/_dev/requests?${q}`)
  assert.equal(res.status, 200)
  return (await res.json()).requests
}

/**
 * Polls the request log until `until(log)` holds (the server logs a request when it arrives),
 * and returns that log. The deadline only turns a missing event into a clear failure.
 */
export async function waitForLog(accessId, filter, until, what = 'the expected requests') {
  const deadline = Date.now() + 30000
  for (;;) {
    const log = await requestLog(accessId, filter)
    if (until(log)) return log
    if (Date.now() > deadline) assert.fail(`the server never saw ${what}: ${JSON.stringify(log)}`)
    await new Promise((r) => setTimeout(r, 10))
  }
}

/** Tracks whether a promise has settled, without handling its rejection for the caller. */
export function track(promise) {
  const t = { settled: false, promise }
  promise.then(
    () => (t.settled = true),
    () => (t.settled = true),
  )
  return t
}

// Every file checks that nothing was left rejected and unhandled.
const unhandled = []
process.on('unhandledRejection', (e) => unhandled.push(e))
after(() => assert.deepEqual(unhandled, [], 'unhandled rejections'))

/** Asserts that `promise` rejects with an instance of `Cls`, and returns the error. */
export async function rejectsWith(promise, Cls) {
  try {
    await promise
  } catch (e) {
    assert.ok(e instanceof Cls, `expected ${Cls.name}, got ${e && e.name}: ${e && e.message}`)
    assert.ok(e instanceof noorle.NoorleError)
    return e
  }
  assert.fail(`expected ${Cls.name}, but the call succeeded`)
}

export function throwsWith(fn, Cls) {
  try {
    fn()
  } catch (e) {
    assert.ok(e instanceof Cls, `expected ${Cls.name}, got ${e && e.name}: ${e && e.message}`)
    assert.ok(e instanceof noorle.NoorleError)
    return e
  }
  assert.fail(`expected ${Cls.name}, but the call succeeded`)
}
