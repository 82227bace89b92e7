// Memory of the Node client: RSS growth from building a noorle.Client (idle), then after the first
// whoami() call, and RSS after 1,000 and after 10,000 calls (flat means no growth; a GC runs before
// each reading when node has --expose-gc). Run by bench/memory/run.sh, against http and https.
import { createRequire } from 'node:module'
import { readFileSync } from 'node:fs'

const require = createRequire(import.meta.url)
const noorle = require(new URL('../../bindings-node/', import.meta.url).pathname)

// VmRSS and RssAnon (heap, stacks) of this process, in KiB.
const rssKib = () => {
  globalThis.gc?.()
  const status = readFileSync('/proc/self/status', 'utf8').split('\n')
  const field = (name) => {
    const line = status.find((l) => l.startsWith(name + ':'))
    if (!line) throw new Error(`no ${name} in /proc/self/status`)
    return Number(line.split(/\s+/)[1])
  }
  return [field('VmRSS'), field('RssAnon')]
}

const signed = (n, w = 6) => `${n >= 0 ? '+' : ''}${n}`.padStart(w)
const base = process.env.NOORLE_BASE_URL
const root = process.env.NOORLE_DEV_ROOT_KEY
const before = rssKib()
const client = new noorle.Client({ apiKey: root, baseUrl: base, env: false })
const idle = rssKib()
await client.whoami()
const first = rssKib()
let calls = 1
const marks = []
for (const n of [1_000, 10_000]) {
  for (; calls < n; calls++) await client.whoami()
  marks.push(rssKib()[0])
}
const [k1, k10] = marks
const scheme = base.split(':')[0]
console.log(
  `${'node'.padEnd(6)} ${scheme.padEnd(5)} idle client ${signed(idle[0] - before[0])} KiB (anon ${signed(idle[1] - before[1])}; goal <= 2048)` +
    `   first call ${signed(first[0] - before[0])} KiB (anon ${signed(first[1] - before[1])})` +
    `   RSS after 1,000 calls ${k1} KiB, after 10,000 ${k10} KiB: ${signed(k10 - k1, 0)} KiB`,
)
