// Every client operation the core lists has a public method here, and every method here names an
// operation the core lists.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import native from '../native.js'
import { noorle } from './helpers.mjs'

const { Client, ApiKeys, ServiceAccounts } = noorle

// Core op name -> [public class, method].
const METHODS = {
  whoami: [Client, 'whoami'],
  request: [Client, 'request'],
  key_source: [Client, 'keySource'],
  'api_keys.create': [ApiKeys, 'create'],
  'api_keys.list': [ApiKeys, 'list'],
  'api_keys.get': [ApiKeys, 'get'],
  'api_keys.update': [ApiKeys, 'update'],
  'api_keys.deactivate': [ApiKeys, 'deactivate'],
  'api_keys.activate': [ApiKeys, 'activate'],
  'api_keys.revoke': [ApiKeys, 'revoke'],
  'api_keys.delete': [ApiKeys, 'delete'],
  'api_keys.rotate': [ApiKeys, 'rotate'],
  'api_keys.rotate_file': [ApiKeys, 'rotateFile'],
  'service_accounts.create': [ServiceAccounts, 'create'],
  'service_accounts.list': [ServiceAccounts, 'list'],
  'service_accounts.get': [ServiceAccounts, 'get'],
  'service_accounts.update': [ServiceAccounts, 'update'],
  'service_accounts.delete': [ServiceAccounts, 'delete'],
  'service_accounts.create_key': [ServiceAccounts, 'createKey'],
  'service_accounts.list_keys': [ServiceAccounts, 'listKeys'],
}

test('every client operation of the core maps to a public method', () => {
  const listed = native.executeStatic(JSON.stringify({ op: 'operations' }))
  const ops = listed.client_operations
  assert.ok(Array.isArray(ops), JSON.stringify(listed))
  // Every client operation is also an operation the dispatcher accepts.
  for (const op of ops) assert.ok(listed.operations.includes(op), op)
  assert.deepEqual([...ops].sort(), Object.keys(METHODS).sort())
  for (const op of ops) {
    const [Cls, name] = METHODS[op]
    assert.equal(typeof Cls.prototype[name], 'function', `${op} -> ${Cls.name}.${name}`)
  }
})
