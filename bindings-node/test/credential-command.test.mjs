// Keys from a credential command (apiKeyCommand): the scripts of testdata/credential-commands
// play a secret manager's CLI against the local server.
import { test, before, after } from 'node:test'
import assert from 'node:assert/strict'
import { mkdtempSync, writeFileSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, resolve, dirname } from 'node:path'
import { fileURLToPath } from 'node:url'
import { noorle, Client, FAST, newAccount, server } from './helpers.mjs'

const SCRIPTS = resolve(dirname(fileURLToPath(import.meta.url)), '../../testdata/credential-commands')
const script = (name) => join(SCRIPTS, name)
let dir
const keyFile = (name, key) => {
  const p = join(dir, name)
  writeFileSync(p, `${key}\n`)
  return p
}

before(() => {
  dir = mkdtempSync(join(tmpdir(), 'noorle-node-cmd-'))
})
after(() => rmSync(dir, { recursive: true, force: true }))

test('apiKeyCommand gives a working client and keySource reports the command', async () => {
  const acct = await newAccount('node-cmd')
  const counter = join(dir, 'runs')
  const client = new Client({
    ...FAST,
    baseUrl: server().baseUrl,
    apiKeyCommand: [script('print-key.sh'), keyFile('key', acct.key.exposeSecret()), counter],
  })
  const me = await client.whoami()
  assert.equal(me.id, acct.record.id)
  await client.whoami()
  const src = client.keySource()
  assert.equal(src.kind, 'command')
  assert.equal(src.program, script('print-key.sh'))
  assert.equal(src.variable, null)
  // No expiry: one run, the key cached for both calls.
  assert.equal(readFileSync(counter, 'utf8').trim(), '1')
  client.close()
})

test('NOORLE_API_KEY_COMMAND is reported as the source', () => {
  const k = 'ak-a1b2c3d4e5f6a1b2c3d4e5f6a1b2c3d4s9t0u1v2w3x4y5z6'
  const argv = JSON.stringify([script('print-key.sh'), keyFile('env-key', k)])
  const r = noorle.loadApiKey({ env: { NOORLE_API_KEY_COMMAND: argv }, dockerSecret: join(dir, 'none') })
  assert.equal(r.key.exposeSecret(), k)
  assert.equal(r.source.kind, 'command')
  assert.equal(r.source.variable, 'NOORLE_API_KEY_COMMAND')
  assert.throws(() => noorle.loadApiKey({ env: false, apiKeyCommand: 'op read x' }), TypeError)
})

test('a failing command throws ConfigError with its stderr redacted', () => {
  assert.throws(
    () => new Client({ ...FAST, baseUrl: server().baseUrl, apiKeyCommand: [script('fail.sh')] }),
    (e) => {
      assert.ok(e instanceof noorle.ConfigError, String(e))
      assert.match(e.message, /credential command .*fail\.sh .*exited with status 3/)
      assert.ok(e.message.includes('ak-3c3c3c3c3c3c3c3c3c3c3c3c3c3c3c3c***'), e.message)
      assert.ok(!e.message.includes('LEAKED'), e.message)
      return true
    },
  )
})

test('a slow command is killed at apiKeyCommandTimeout (ms)', () => {
  assert.throws(
    () => noorle.loadApiKey({
      env: false,
      apiKeyCommand: [script('slow.sh'), join(dir, 'pid')],
      apiKeyCommandTimeout: 1500,
    }),
    (e) => e instanceof noorle.ConfigError && /timeout/.test(e.message) && /killed/.test(e.message),
  )
})
