// The shared scenarios of testdata/scenarios/*.json (format in its README), one subtest each,
// run through the package's public API against the local server.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { readFileSync, readdirSync } from 'node:fs'
import { randomBytes } from 'node:crypto'
import { inspect } from 'node:util'
import { noorle, Client, ApiKey, FAST, server, fault, requestLog } from './helpers.mjs'

const DIR = new URL('../../testdata/scenarios/', import.meta.url)
const FILES = readdirSync(DIR).filter((f) => f.endsWith('.json')).sort()

// op name -> the public call; args are snake_case as on the wire, which the methods take.
const OPS = {
  whoami: (c) => c.whoami(),
  request: (c, a) => c.request(a.method, a.path, a.json === undefined ? {} : { json: a.json }),
  'api_keys.create': (c, a) => c.apiKeys.create(a),
  'api_keys.list': (c, a) => c.apiKeys.list(a),
  'api_keys.get': (c, a) => c.apiKeys.get(a.id),
  'api_keys.update': (c, { id, ...p }) => c.apiKeys.update(id, p),
  'api_keys.deactivate': (c, a) => c.apiKeys.deactivate(a.id),
  'api_keys.activate': (c, a) => c.apiKeys.activate(a.id),
  'api_keys.revoke': (c, a) => c.apiKeys.revoke(a.id),
  'api_keys.delete': (c, a) => c.apiKeys.delete(a.id),
  'api_keys.rotate': (c, { id, ...p }) => c.apiKeys.rotate(id, p),
  'service_accounts.create': (c, a) => c.serviceAccounts.create(a),
  'service_accounts.list': (c, a) => c.serviceAccounts.list(a),
  'service_accounts.get': (c, a) => c.serviceAccounts.get(a.id),
  'service_accounts.update': (c, { id, ...p }) => c.serviceAccounts.update(id, p),
  'service_accounts.delete': (c, a) => c.serviceAccounts.delete(a.id),
  'service_accounts.create_key': (c, { id, ...p }) => c.serviceAccounts.createKey(id, p),
  'service_accounts.list_keys': (c, { id, ...p }) => c.serviceAccounts.listKeys(id, p),
}

// error kind -> the class an error of that kind must be an instance of.
const CLASSES = {
  authentication: noorle.AuthenticationError,
  permission_denied: noorle.PermissionDeniedError,
  not_found: noorle.NotFoundError,
  conflict: noorle.ConflictError,
  validation: noorle.ValidationError,
  rate_limited: noorle.RateLimitError,
  server: noorle.ServerError,
  connection: noorle.APIConnectionError,
  timeout: noorle.APITimeoutError,
  config: noorle.ConfigError,
}

class StepFailed extends Error {}

const keyObj = (s) => ({ value: s, access_id: s.slice(3, 35), secret: s.slice(35) })

// The answer as plain JSON values: keys as {value, access_id, secret}, timestamps (Date, or a
// string in a field ending in _at) as epoch seconds; camelCase page fields are left out.
function norm(v, name = '') {
  if (v instanceof ApiKey) return keyObj(v.exposeSecret())
  if (v instanceof Date) return v.getTime() / 1000
  if (typeof v === 'string' && name.endsWith('_at')) return Date.parse(v) / 1000
  if (Array.isArray(v)) return v.map((x) => norm(x))
  if (v && typeof v === 'object') {
    return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, norm(x, k)]))
  }
  return v ?? null
}

function lookup(saved, path) {
  let cur = saved
  for (const part of path.split('.')) {
    if (cur === null || typeof cur !== 'object' || !(part in cur)) {
      throw new StepFailed(`\${${path}}: no '${part}' in the saved results`)
    }
    cur = cur[part]
  }
  return cur
}

function subst(v, saved) {
  if (typeof v === 'string') {
    const whole = /^\$\{([^}]+)\}$/.exec(v)
    if (whole) return lookup(saved, whole[1])
    return v.replace(/\$\{([^}]+)\}/g, (_, p) => String(lookup(saved, p)))
  }
  if (Array.isArray(v)) return v.map((x) => subst(x, saved))
  if (v && typeof v === 'object') return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, subst(x, saved)]))
  return v
}

function matches(exp, act) {
  try {
    match(exp, act, '')
    return true
  } catch (e) {
    if (e instanceof StepFailed) return false
    throw e
  }
}

function match(exp, act, where) {
  const fail = (why) => {
    throw new StepFailed(`${where || 'result'}: ${why}; expected ${JSON.stringify(exp)}, got ${JSON.stringify(act)}`)
  }
  act = act ?? null
  if (exp === '$present') {
    if (act === null) fail('missing')
  } else if (exp && typeof exp === 'object' && !Array.isArray(exp) && Object.keys(exp).some((k) => k.startsWith('$'))) {
    for (const [op, arg] of Object.entries(exp)) {
      const pats = Array.isArray(arg) ? arg : [arg]
      if (op === '$len') {
        if (!Array.isArray(act) || act.length !== arg) fail(`not a list of ${arg}`)
      } else if (op === '$gt' || op === '$lt') {
        if (typeof act !== 'number' || typeof arg !== 'number' || !(op === '$gt' ? act > arg : act < arg)) fail(`not ${op} ${arg}`)
      } else if (op === '$ne') {
        if (matches(arg, act)) fail('equal')
      } else if (op === '$contains' || op === '$excludes') {
        for (const p of pats) {
          let found
          if (typeof act === 'string') found = typeof p === 'string' && act.includes(p)
          else if (Array.isArray(act)) found = act.some((x) => matches(p, x))
          else fail('neither a string nor a list')
          if (found !== (op === '$contains')) fail(`${op} ${JSON.stringify(p)}`)
        }
      } else if (op === '$unordered') {
        if (!Array.isArray(act) || act.length !== pats.length) fail('not a list of that length')
        const rest = [...act]
        for (const p of pats) {
          const i = rest.findIndex((x) => matches(p, x))
          if (i < 0) fail(`no element matches ${JSON.stringify(p)}`)
          rest.splice(i, 1)
        }
      } else fail(`unknown matcher ${op}`)
    }
  } else if (Array.isArray(exp)) {
    if (!Array.isArray(act) || act.length !== exp.length) fail('a list of another length')
    exp.forEach((x, i) => match(x, act[i], `${where}[${i}]`))
  } else if (exp && typeof exp === 'object') {
    if (!act || typeof act !== 'object' || Array.isArray(act)) fail('not an object')
    for (const [k, x] of Object.entries(exp)) match(x, act[k], where ? `${where}.${k}` : k)
  } else if (exp !== act) fail('different')
}

// What a user sees when printing or logging the value.
function printedForms(v) {
  if (v instanceof Error) return [String(v), v.stack ?? '', inspect(v, { depth: null }), JSON.stringify(v)]
  const forms = [inspect(v, { depth: null }), JSON.stringify(v)]
  if (v && v.key instanceof ApiKey) forms.push(String(v.key), `${v.key}`, inspect(v.key), JSON.stringify(v.key))
  return forms
}

function checkPrinted(spec, v) {
  for (const form of printedForms(v)) {
    for (const s of spec.includes ?? []) if (!form.includes(s)) throw new StepFailed(`printed form lacks ${s}: ${form}`)
    for (const s of spec.excludes ?? []) if (form.includes(s)) throw new StepFailed('a printed form contains a secret')
  }
}

class Runner {
  constructor() {
    const { baseUrl, rootKey } = server()
    this.baseUrl = baseUrl
    this.keys = { root: rootKey }
    this.saved = { run: randomBytes(4).toString('hex') }
    this.clients = {}
  }

  key(who) {
    return this.keys[who] ?? lookup(this.saved, `${who}.key.value`)
  }

  client(who) {
    this.clients[who] ??= new Client({ apiKey: this.key(who), baseUrl: this.baseUrl, ...FAST })
    return this.clients[who]
  }

  close() {
    for (const c of Object.values(this.clients)) c.close()
  }

  async step(step) {
    const args = subst(step.args ?? {}, this.saved)
    if (step.fault) {
      const { method, path, count = 1, fault: f } = subst(step.fault, this.saved)
      await fault({ access_id: ApiKey.parse(this.key(step.as)).accessId, method, path, count, fault: f })
    }
    let raw
    let error
    try {
      if (step.op === 'dev.requests') {
        const { access_id, ...filter } = args
        raw = { requests: await requestLog(access_id, filter) }
      } else {
        const call = OPS[step.op]
        if (!call) throw new StepFailed(`no such op in the scenario runner: ${step.op}`)
        raw = await call(this.client(step.as), args)
      }
    } catch (e) {
      if (!(e instanceof noorle.NoorleError)) throw e
      error = e
    }
    if (step.expect_error) {
      if (!error) throw new StepFailed(`expected an error, got ${JSON.stringify(norm(raw))}`)
      const exp = subst(step.expect_error, this.saved)
      const got = { kind: error.kind, status: error.status, code: error.code, request_id: error.requestId,
        details: error.details, message: error.message }
      match(exp, norm(got), 'error')
      if (exp.kind && !(error instanceof CLASSES[exp.kind])) {
        throw new StepFailed(`error ${error.name} is not a ${CLASSES[exp.kind].name}`)
      }
      if (step.printed) checkPrinted(subst(step.printed, this.saved), error)
      return
    }
    if (error) throw new StepFailed(`unexpected error ${inspect(error)}`)
    const result = step.op === 'request' ? { status: raw.status, json: norm(raw.json) } : norm(raw)
    if (step.save) this.saved[step.save] = result
    if ('expect' in step) match(subst(step.expect, this.saved), result, '')
    if (step.printed) checkPrinted(subst(step.printed, this.saved), raw)
  }
}

test('every scenario is found', () => {
  const names = FILES.map((f) => f.replace(/\.json$/, ''))
  for (const n of ['lifecycle', 'scopes', 'rotation', 'retries', 'idempotency', 'pagination', 'errors', 'redaction']) {
    assert.ok(names.includes(n), `testdata/scenarios/${n}.json`)
  }
})

test('scenarios', async (t) => {
  for (const file of FILES) {
    const scenario = JSON.parse(readFileSync(new URL(file, DIR), 'utf8'))
    await t.test(scenario.name, async () => {
      const runner = new Runner()
      try {
        for (const [i, step] of scenario.steps.entries()) {
          try {
            await runner.step(step)
          } catch (e) {
            if (e instanceof StepFailed) assert.fail(`${scenario.name} step ${i + 1} (${step.op}): ${e.message}`)
            throw e
          }
        }
      } finally {
        runner.close()
      }
    })
  }
})
