// Memory of the Node client: RSS growth from building a noorle.Client (idle), then RSS after
// 1,000 and after 10,000 whoami() calls (flat means no growth; a GC runs before each reading
// when node has --expose-gc). Run by bench/memory/run.sh.
import { createRequire } from 'node:module'
import { readFileSync } from 'node:fs'

const require = createRequire(import.meta.url)
const noorle = require(new URL('../../bindings-node/', import.meta.url).pathname)

const rssKib = () => {
  globalThis.gc?.()
  const line = readFileSync('/proc/self/status', 'utf8').split('\n').find((l) => l.startsWith('VmRSS:'))
  if (!line) throw new Error('no VmRSS in /proc/self/status')
  return Number(line.split(/\s+/)[1])
}

const base = process.env.NOORLE_BASE_URL
const root = process.env.NOORLE_DEV_ROOT_KEY
const before = rssKib()
const client = new noorle.Client({ apiKey: root, baseUrl: base, env: false })
const idle = rssKib()
let calls = 0
const marks = []
for (const n of [1_000, 10_000]) {
  for (; calls < n; calls++) await client.whoami()
  marks.push(rssKib())
}
const [k1, k10] = marks
const d = k10 - k1
console.log(
  `${'node'.padEnd(7)} idle client ${String(idle - before).padStart(6)} KiB (goal <= 2048)   ` +
    `RSS after 1,000 calls ${k1} KiB, after 10,000 ${k10} KiB: ${d >= 0 ? '+' : ''}${d} KiB`,
)
