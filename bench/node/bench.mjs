// Throughput and client CPU time per call (process.cpuUsage(): user + system of this process, the
// addon's worker threads included) of client.whoami() vs undici.request and global fetch doing the
// same authenticated GET /v1/api-keys/self, 64 requests in flight, against the local server (its
// own process); then require() time.
import { createRequire } from 'node:module'
import { execFileSync } from 'node:child_process'
import os from 'node:os'

const require = createRequire(import.meta.url)
const PKG = new URL('../../bindings-node/', import.meta.url).pathname
const noorle = require(PKG)
const { request, Agent } = require(PKG + 'node_modules/undici')

const BASE = process.env.NOORLE_BASE_URL
const ROOT = process.env.NOORLE_DEV_ROOT_KEY
if (!BASE || !ROOT) throw new Error('run under scripts/with-devserver (NOORLE_BASE_URL, NOORLE_DEV_ROOT_KEY)')
const N = Number(process.env.BENCH_REQUESTS || 10000)
const ROUNDS = Number(process.env.BENCH_ROUNDS || 7)
const INFLIGHT = 64
const PATH = '/v1/api-keys/self'

const admin = new noorle.Client({ apiKey: ROOT, baseUrl: BASE, env: false })
const sa = await admin.serviceAccounts.create({ name: `bench-node-${Date.now()}`, role: 'developer' })
// One key per contender, each with the highest rate limit, so that none is throttled (a 429
// would be retried inside the SDK and slow it unseen).
const keys = []
for (let i = 0; i < 3; i++) {
  const k = await admin.serviceAccounts.createKey(sa.service_account.id, { name: `b${i}`, rate_limit_per_minute: 1_000_000 })
  keys.push(k.key)
}

const client = new noorle.Client({ apiKey: keys[0], baseUrl: BASE, env: false })
const agent = new Agent({ connections: INFLIGHT })
const undiciHeaders = noorle.authHeaders(keys[1])
const fetchHeaders = noorle.authHeaders(keys[2])

const contenders = {
  'noorle client.whoami()': async () => {
    await client.whoami()
  },
  'undici.request': async () => {
    const r = await request(BASE + PATH, { headers: undiciHeaders, dispatcher: agent })
    if (r.statusCode !== 200) throw new Error(`status ${r.statusCode}`)
    await r.body.json()
  },
  'global fetch': async () => {
    const r = await fetch(BASE + PATH, { headers: fetchHeaders })
    if (r.status !== 200) throw new Error(`status ${r.status}`)
    await r.json()
  },
}

// One round: { rate: calls per second, cpu: client CPU microseconds per call }.
async function run(fn) {
  let next = 0
  const c0 = process.cpuUsage()
  const t0 = performance.now()
  const worker = async () => {
    while (next < N) {
      next++
      await fn()
    }
  }
  await Promise.all(Array.from({ length: INFLIGHT }, worker))
  const wall = performance.now() - t0
  const c = process.cpuUsage(c0)
  return { rate: N / (wall / 1000), cpu: (c.user + c.system) / N }
}

const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b)
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2
}

const loadavg = os.loadavg().map((x) => x.toFixed(2)).join(' ')
console.log(`load average at start: ${loadavg}`)
const results = {}
for (const name of Object.keys(contenders)) {
  await run(contenders[name]) // warm-up: connections, JIT
  results[name] = []
}
// Interleave rounds so drift on a shared machine hits every contender alike.
for (let r = 0; r < ROUNDS; r++) {
  for (const [name, fn] of Object.entries(contenders)) results[name].push(await run(fn))
}

const med = Object.fromEntries(Object.entries(results).map(([k, v]) => [k, median(v.map((x) => x.rate))]))
const cpu = Object.fromEntries(Object.entries(results).map(([k, v]) => [k, median(v.map((x) => x.cpu))]))
console.log(`requests per round ${N}, in flight ${INFLIGHT}, rounds ${ROUNDS}; rounds as req/s / CPU us per call`)
for (const k of Object.keys(med)) {
  const rounds = results[k].map((x) => `${x.rate.toFixed(0)}/${x.cpu.toFixed(0)}`).join(' ')
  console.log(`${k.padEnd(26)} median ${med[k].toFixed(0)} req/s  ${cpu[k].toFixed(1)} us CPU/call   rounds ${rounds}`)
}
const n = 'noorle client.whoami()'
for (const [other, goal, cpuGoal] of [['undici.request', 1.3, ' (goal <= 1.0)'], ['global fetch', 3, '']]) {
  console.log(
    `vs ${other.padEnd(15)} throughput ${(med[n] / med[other]).toFixed(2)}x (goal >= ${goal}x), ` +
      `CPU per call ${(cpu[n] / cpu[other]).toFixed(2)}x${cpuGoal}`,
  )
}

// require('noorle') in a fresh process, measured inside it (excludes node's own start-up).
const loads = []
for (let i = 0; i < 11; i++) {
  const out = execFileSync(process.execPath, [
    '-e',
    `const t=performance.now();require(${JSON.stringify(PKG)});console.log(performance.now()-t)`,
  ])
  loads.push(Number(String(out).trim()))
}
console.log(`require('noorle') median ${median(loads).toFixed(1)} ms (goal <= 20 ms), runs ${loads.map((x) => x.toFixed(1)).join(' ')}`)
console.log(`machine: ${os.cpus().length} x ${os.cpus()[0].model}, ${(os.totalmem() / 2 ** 30).toFixed(1)} GiB, node ${process.version}, ${os.platform()} ${os.release()}`)

await admin.serviceAccounts.delete(sa.service_account.id)
await agent.close()
