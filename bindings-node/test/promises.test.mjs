// Promises are settled on the JS thread in batches (src/rt.rs): each call gets its own outcome,
// the event loop lives exactly while calls are in flight, and worker threads have their own.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { spawnSync } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import { noorle, newAccount, fault, waitForLog, rejectsWith, server } from './helpers.mjs'

const SELF = '/v1/api-keys/self'
const index = fileURLToPath(new URL('../index.js', import.meta.url))

test('many calls in flight: each promise gets its own answer or error', async () => {
  const a = await newAccount('node-batch')
  const b = await newAccount('node-batch')
  const ca = a.client()
  const cb = b.client()
  const missing = 'ffffffffffffffffffffffffffffffff'
  const calls = []
  for (let i = 0; i < 300; i++) {
    if (i % 3 === 0) calls.push(ca.whoami().then((r) => ['a', r.id]))
    else if (i % 3 === 1) calls.push(cb.whoami().then((r) => ['b', r.id]))
    else calls.push(rejectsWith(ca.apiKeys.get(missing), noorle.NotFoundError).then((e) => ['404', e.status]))
  }
  const got = await Promise.all(calls)
  got.forEach((g, i) => {
    const want = [['a', a.accessId], ['b', b.accessId], ['404', 404]][i % 3]
    assert.deepEqual(g, want, `call ${i}`)
  })
})

test('a call settles while the loop has nothing else to do, and the process then exits', () => {
  const { baseUrl, rootKey } = server()
  // Two rounds: the loop is kept alive again after the first batch let it go.
  const script = `
    const n = require(${JSON.stringify(index)});
    const c = new n.Client({ env: false, apiKey: process.env.K, baseUrl: process.env.U });
    c.whoami().then((me) => {
      console.log('first', me.id);
      setImmediate(() => c.whoami().then((again) => console.log('second', again.id)));
    });`
  const r = spawnSync(process.execPath, ['-e', script], {
    env: { PATH: process.env.PATH, K: rootKey, U: baseUrl },
    encoding: 'utf8',
    timeout: 60000,
  })
  assert.equal(r.status, 0, `status ${r.status} signal ${r.signal}: ${r.stderr}`)
  assert.match(r.stdout, /^first [0-9a-f]{32}\nsecond [0-9a-f]{32}\n$/)
})

test('workers have their own clients and promises; ending a worker mid-call is safe', async () => {
  const a = await newAccount('node-worker')
  await fault({ access_id: a.accessId, method: 'GET', path: SELF, fault: { type: 'stall', ms: 60000 } })
  const { baseUrl, rootKey } = server()
  // In a child process, so that a crash shows as its exit status rather than ending this suite.
  // The stalled worker's call times out after its worker has ended: its answer then finds the
  // worker's queue closed and is dropped.
  const script = `
    const { Worker } = require('node:worker_threads');
    const src = \`
      const { parentPort, workerData: w } = require('node:worker_threads');
      const n = require(\${JSON.stringify(${JSON.stringify(index)})});
      const c = new n.Client({ env: false, apiKey: w.key, baseUrl: w.url, maxRetries: 0, timeout: 500 });
      if (w.stall) { c.whoami().catch(() => {}); parentPort.postMessage('sent'); }
      else Promise.all([c.whoami(), c.whoami()]).then((r) => parentPort.postMessage(r.map((x) => x.id).join(' ')));
    \`;
    const run = (stall) => new Worker(src, { eval: true, workerData: { key: process.env.K, url: process.env.U, stall } });
    // Until the stalled request is at the server (so the next requests are not the stalled one).
    const atServer = async () => {
      const q = new URLSearchParams({ access_id: process.env.A, path: '${SELF}' });
      while (!(await (await fetch(process.env.U + '/_dev/requests?' + q)).json()).requests.length) {
        await new Promise((r) => setTimeout(r, 10));
      }
    };
    const stalled = run(true);
    stalled.once('message', () => atServer().then(() => stalled.terminate()).then(() => {
      const ok = run(false);
      ok.once('message', (ids) => {
        console.log('worker', ids);
        const n = require(${JSON.stringify(index)});
        const main = new n.Client({ env: false, apiKey: process.env.R, baseUrl: process.env.U });
        // Called after the orphaned call's timeout has fired.
        setTimeout(() => main.whoami().then((me) => console.log('main', me.id)), 1000);
      });
    }));`
  const r = spawnSync(process.execPath, ['-e', script], {
    env: { PATH: process.env.PATH, K: a.key.exposeSecret(), A: a.accessId, R: rootKey, U: baseUrl },
    encoding: 'utf8',
    timeout: 60000,
  })
  assert.equal(r.status, 0, `status ${r.status} signal ${r.signal}: ${r.stderr}`)
  const id = a.accessId
  assert.match(r.stdout, new RegExp(`^worker ${id} ${id}\nmain [0-9a-f]{32}\n$`))
  // The stalled call did reach the server, and nothing retried it.
  await waitForLog(id, { method: 'GET', path: SELF }, (l) => l.length === 3, 'the three requests')
})
