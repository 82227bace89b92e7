// The loading chain (contract section 3) with temp files and an isolated environment.
import { test, before, after } from 'node:test'
import assert from 'node:assert/strict'
import { mkdtempSync, writeFileSync, chmodSync, rmSync, mkdirSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { noorle, Client, throwsWith } from './helpers.mjs'

const K1 = 'ak-a1b2c3d4e5f6a1b2c3d4e5f6a1b2c3d4s9t0u1v2w3x4y5z6'
const K2 = 'ak-0f9e8d7c6b5a49382716f5e4d3c2b1a0Zx9Qw2Er7Ty4Ui1Op8As5Df3Gh6Jk0Lm'
let dir
const file = (name, text, mode = 0o600) => {
  const p = join(dir, name)
  writeFileSync(p, text)
  chmodSync(p, mode)
  return p
}
// Nothing ambient: no docker secret, no $HOME profile, only the variables given.
const load = (env, more = {}) =>
  noorle.loadApiKey({ env, dockerSecret: join(dir, 'no-such-secret'), ...more })

before(() => {
  dir = mkdtempSync(join(tmpdir(), 'noorle-node-load-'))
})
after(() => rmSync(dir, { recursive: true, force: true }))

test('explicit key wins over everything', () => {
  const r = load({ NOORLE_API_KEY: K2 }, { apiKey: K1 })
  assert.equal(r.key.exposeSecret(), K1)
  assert.equal(r.source.kind, 'explicit')
  const r2 = load({}, { apiKey: noorle.ApiKey.parse(K2) })
  assert.equal(r2.key.exposeSecret(), K2)
})

test('an explicit file', () => {
  const p = file('explicit', `${K1}\n`)
  const r = load({ NOORLE_API_KEY: K2 }, { apiKeyFile: p })
  assert.equal(r.source.kind, 'file')
  assert.equal(r.source.path, p)
  assert.equal(r.key.exposeSecret(), K1)
})

test('NOORLE_API_KEY', () => {
  const r = load({ NOORLE_API_KEY: `${K1}\n` })
  assert.deepEqual(
    { kind: r.source.kind, variable: r.source.variable },
    { kind: 'env', variable: 'NOORLE_API_KEY' },
  )
})

test('NOORLE_API_KEY_FILE', () => {
  const p = file('envfile', K2)
  const r = load({ NOORLE_API_KEY_FILE: p })
  assert.equal(r.source.kind, 'env_file')
  assert.equal(r.source.path, p)
  assert.equal(r.key.exposeSecret(), K2)
})

test('both NOORLE_API_KEY and NOORLE_API_KEY_FILE is a ConfigError', () => {
  const p = file('both', K2)
  const e = throwsWith(() => load({ NOORLE_API_KEY: K1, NOORLE_API_KEY_FILE: p }), noorle.ConfigError)
  assert.match(e.message, /set only one/)
  assert.ok(!e.message.includes('s9t0u1v2'))
})

test('$CREDENTIALS_DIRECTORY/noorle_api_key', () => {
  const cd = join(dir, 'creds')
  mkdirSync(cd)
  writeFileSync(join(cd, 'noorle_api_key'), K1, { mode: 0o600 })
  const r = load({ CREDENTIALS_DIRECTORY: cd })
  assert.equal(r.source.kind, 'credentials_dir')
  assert.equal(r.key.exposeSecret(), K1)
})

test('the docker secret file', () => {
  const p = file('docker', K2)
  const r = noorle.loadApiKey({ env: {}, dockerSecret: p })
  assert.equal(r.source.kind, 'docker_secret')
  assert.equal(r.source.path, p)
})

test('a profile, chosen by option or NOORLE_PROFILE, with its base_url', () => {
  const p = file(
    'credentials',
    `[default]\napi_key = "${K1}"\n\n[ci]\napi_key = "${K2}"\nbase_url = "http://127.0.0.1:9"\n`,
  )
  const d = load({}, { credentialsFile: p })
  assert.equal(d.source.kind, 'profile')
  assert.equal(d.source.profile, 'default')
  assert.equal(d.key.exposeSecret(), K1)
  const ci = load({ NOORLE_PROFILE: 'ci' }, { credentialsFile: p })
  assert.equal(ci.key.exposeSecret(), K2)
  assert.equal(ci.baseUrl, 'http://127.0.0.1:9')
  assert.equal(load({}, { credentialsFile: p, profile: 'ci' }).source.profile, 'ci')
  // The client takes the profile's base URL too.
  const c = new Client({ env: {}, credentialsFile: p, profile: 'ci', dockerSecret: join(dir, 'none') })
  assert.equal(c.baseUrl, 'http://127.0.0.1:9')
  assert.equal(c.keySource().kind, 'profile')
})

test('the profile file under $HOME of the isolated environment', () => {
  const home = join(dir, 'home')
  mkdirSync(join(home, '.noorle'), { recursive: true })
  writeFileSync(join(home, '.noorle', 'credentials'), `[default]\napi_key = "${K2}"\n`, { mode: 0o600 })
  const r = load({ HOME: home })
  assert.equal(r.source.kind, 'profile')
  assert.equal(r.key.exposeSecret(), K2)
})

test('nothing found lists every place looked, in order', () => {
  const e = throwsWith(() => load({}), noorle.CredentialsNotFoundError)
  assert.ok(Array.isArray(e.searched) && e.searched.length >= 5, String(e.searched))
  assert.match(e.searched.join('\n'), /NOORLE_API_KEY[\s\S]*NOORLE_API_KEY_FILE[\s\S]*CREDENTIALS_DIRECTORY/)
  assert.match(e.message, /no Noorle API key found/)
  // env: false reads nothing ambient at all.
  throwsWith(() => noorle.loadApiKey({ env: false }), noorle.CredentialsNotFoundError)
  throwsWith(() => new Client({ env: false }), noorle.CredentialsNotFoundError)
})

test('a world-writable key file is refused; a group-readable one warns', () => {
  const ww = file('world-writable', K1, 0o666)
  const e = throwsWith(() => load({ NOORLE_API_KEY_FILE: ww }), noorle.ConfigError)
  assert.match(e.message, /world-writable/)
  const gr = file('group-readable', K1, 0o640)
  const r = load({ NOORLE_API_KEY_FILE: gr })
  assert.equal(r.warnings.length, 1)
  assert.match(r.warnings[0], /readable by group or others/)
})

test('a bad key in a file names the file and never echoes the secret', () => {
  const p = file('bad', `${K1}!\n`)
  const e = throwsWith(() => load({ NOORLE_API_KEY_FILE: p }), noorle.InvalidApiKeyError)
  assert.equal(e.code, 'secret_invalid_char')
  assert.ok(e.message.includes(p), e.message)
  assert.ok(!e.message.includes('s9t0u1v2'), e.message)
})

test('unknown and invalid options are ConfigErrors', () => {
  throwsWith(() => new Client({ apiKey: K1, bogus: 1 }), noorle.ConfigError)
  throwsWith(() => new Client({ apiKey: K1, env: false, timeout: -1 }), noorle.ConfigError)
  throwsWith(() => new Client({ apiKey: K1, env: false, headerScheme: 'bearer' }), noorle.ConfigError)
  throwsWith(() => new Client({ apiKey: K1, env: false, baseUrl: 'ftp://x' }), noorle.ConfigError)
  throwsWith(() => new Client({ apiKey: 'ak-nope' }), noorle.InvalidApiKeyError)
})
