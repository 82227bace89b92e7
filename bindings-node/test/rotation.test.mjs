// Rotation on a schedule: rotateFile({ ifOlderThan }) rotates only a key that is due.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { noorle, Client, newAccount, requestLog, server, rejectsWith, FAST } from './helpers.mjs'

const MONTH_MS = 30 * 24 * 3600 * 1000

test('rotateFile with ifOlderThan: not due changes nothing, due rotates', async (t) => {
  const acct = await newAccount('node-sched')
  const dir = mkdtempSync(join(tmpdir(), 'noorle-sched-'))
  t.after(() => rmSync(dir, { recursive: true, force: true }))
  const path = join(dir, 'key')
  writeFileSync(path, acct.key.exposeSecret() + '\n', { mode: 0o600 })
  const c = new Client({ apiKeyFile: path, baseUrl: server().baseUrl, ...FAST })
  const rotatePath = `/v1/api-keys/${acct.accessId}/rotate`

  const notDue = await c.apiKeys.rotateFile({ path, grace_period_seconds: 60, ifOlderThan: MONTH_MS })
  assert.equal(notDue.rotated, false)
  assert.equal(notDue.new_id, acct.accessId)
  assert.ok(notDue.age_seconds < MONTH_MS / 1000)
  assert.deepEqual(await requestLog(acct.accessId, { path: rotatePath }), [])
  assert.equal(readFileSync(path, 'utf8').trim(), acct.key.exposeSecret())

  const due = await c.apiKeys.rotateFile({ path, grace_period_seconds: 60, ifOlderThan: 0 })
  assert.equal(due.rotated, true)
  assert.equal(due.old_id, acct.accessId)
  assert.notEqual(due.new_id, acct.accessId)
  assert.equal((await requestLog(acct.accessId, { path: rotatePath, method: 'POST' })).length, 1)
  assert.equal(noorle.ApiKey.parse(readFileSync(path, 'utf8').trim()).accessId, due.new_id)
  assert.ok(!JSON.stringify(due).includes(readFileSync(path, 'utf8').trim()))

  await rejectsWith(c.apiKeys.rotateFile({ path, ifOlderThan: -1 }), noorle.ConfigError)
})
