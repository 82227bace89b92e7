// The same story's core in TypeScript: checked with `tsc --strict --noEmit` (see run.sh).
import {
  Client,
  ApiKey,
  AuthenticationError,
  NoorleError,
  PermissionDeniedError,
  type ApiKeyRecord,
  type CreatedServiceAccount,
  type Page,
} from 'noorle'

async function main(): Promise<number> {
  const baseUrl = process.env.NOORLE_BASE_URL
  const admin = new Client({ timeout: 30_000, maxRetries: 2 })
  const created: CreatedServiceAccount = await admin.serviceAccounts.create({
    name: `quickstart-ts-${Date.now()}`,
    role: 'developer',
  })
  const first: ApiKey = created.key
  console.log(`first key, shown once: ${first.exposeSecret()}; afterwards ${first.redacted()}`)
  let failures = 0
  try {
    const sac = new Client({ apiKey: first, baseUrl })
    const me: ApiKeyRecord = await sac.whoami()
    const agents = await sac.request<{ agents: { id: string }[] }>('GET', '/v1/agents')
    console.log(me.id, agents.json.agents.map((a) => a.id))
    const page: Page<ApiKeyRecord> = await admin.serviceAccounts.listKeys(created.service_account.id)
    for (const k of page.items) console.log(k.id, k.last_used_at ?? 'never')

    const scoped = await sac.apiKeys.create({
      name: 'weather-only',
      permissions: ['read'],
      scope: { type: 'resources', resources: [{ type: 'agent', id: 'agt_weather' }] },
    })
    const sc = new Client({ apiKey: scoped.key, baseUrl })
    await sc.request('GET', '/v1/agents/agt_weather')
    try {
      await sc.request('GET', '/v1/agents/agt_support', { signal: AbortSignal.timeout(10_000) })
      failures++
    } catch (e) {
      if (!(e instanceof PermissionDeniedError)) failures++
    }

    const rotated = await admin.apiKeys.rotate(first.accessId, { grace_period_seconds: 3600 })
    const fresh = new Client({ apiKey: rotated.key, baseUrl })
    await admin.apiKeys.deactivate(rotated.api_key.id)
    const err = await fresh.whoami().then(() => null, (e: unknown) => e)
    if (!(err instanceof AuthenticationError)) failures++
    await admin.apiKeys.activate(rotated.api_key.id)
    await admin.apiKeys.revoke(rotated.api_key.id)
  } catch (e) {
    if (e instanceof NoorleError) console.error(e.kind, e.code, e.status, e.requestId, e.message)
    failures++
  } finally {
    await admin.serviceAccounts.delete(created.service_account.id)
  }
  return failures
}

main().then((n) => process.exit(n === 0 ? 0 : 1))
