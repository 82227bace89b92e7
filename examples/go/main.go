// The quickstart story, in Go: service accounts, scoped keys, rotation with a grace period,
// deactivation and revocation, against NOORLE_BASE_URL with the management key NOORLE_API_KEY.
// Exits 0 only if every expectation held.
package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"time"

	noorle "github.com/noorle/noorle-sdk/bindings-go"
)

var failed bool

// expect prints one step's outcome and remembers failures.
func expect(ok bool, format string, args ...any) {
	mark := "ok  "
	if !ok {
		mark, failed = "FAIL", true
	}
	fmt.Printf("  [%s] %s\n", mark, fmt.Sprintf(format, args...))
}

// keyClient is a client that uses one key, and nothing from the environment.
func keyClient(key noorle.APIKey) *noorle.Client {
	c, err := noorle.NewClient(noorle.WithKey(key), noorle.WithBaseURL(os.Getenv("NOORLE_BASE_URL")), noorle.WithoutEnvironment())
	if err != nil {
		fmt.Println("  cannot build a client:", err)
		os.Exit(1)
	}
	return c
}

func works(ctx context.Context, key noorle.APIKey) error {
	c := keyClient(key)
	defer c.Close()
	_, err := c.Whoami(ctx)
	return err
}

func main() {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()

	// The management key comes from NOORLE_API_KEY (and NOORLE_BASE_URL), like any deployment.
	admin, err := noorle.NewClient()
	if err != nil {
		fmt.Println("no management key:", err)
		os.Exit(1)
	}
	defer admin.Close()
	fmt.Printf("Management key from %s, server %s\n", admin.KeySource(), admin.BaseURL())

	fmt.Println("1. Create a service account")
	sa, err := admin.ServiceAccounts.Create(ctx, noorle.CreateServiceAccountParams{
		Name: fmt.Sprintf("quickstart-go-%d", time.Now().UnixNano()), Description: "Go quickstart", Role: noorle.RoleDeveloper,
	})
	if err != nil {
		fmt.Println("  cannot create the service account:", err)
		os.Exit(1)
	}
	// Deleting the account at the end revokes every key it still has.
	defer func() {
		fmt.Println("9. Delete the service account")
		err := admin.ServiceAccounts.Delete(ctx, sa.ServiceAccount.ID)
		expect(err == nil, "deleted %s (%v)", sa.ServiceAccount.ID, err)
		if failed {
			fmt.Println("FAILED: some expectation did not hold")
			os.Exit(1)
		}
		fmt.Println("All expectations held.")
	}()
	first := sa.Key
	fmt.Printf("  service account %s (%s)\n", sa.ServiceAccount.Name, sa.ServiceAccount.ID)
	fmt.Printf("  its first key, shown ONCE in full (it will not be shown again):\n    %s\n", first.ExposeSecret())
	fmt.Printf("  from now on it appears redacted: %v\n", first)

	fmt.Println("2. Call the API with the service account's key (X-API-Key)")
	sc := keyClient(first)
	me, err := sc.Whoami(ctx)
	expect(err == nil && me.ID == first.AccessID(), "GET /v1/api-keys/self -> key %q, owner %s %s", nameOf(me), ownerOf(me), errText(err))
	r, err := sc.Request(ctx, "GET", "/v1/agents", nil)
	var agents struct {
		Agents []struct{ ID, Name string } `json:"agents"`
		Total  int                         `json:"total"`
	}
	if err == nil {
		err = r.Decode(&agents)
	}
	expect(err == nil && agents.Total > 0, "GET /v1/agents -> %d agents %s", agents.Total, errText(err))
	sc.Close()

	fmt.Println("3. List the account's keys")
	for k, err := range admin.ServiceAccounts.ListKeysAll(ctx, sa.ServiceAccount.ID, noorle.PageParams{}) {
		if err != nil {
			expect(false, "list keys: %v", err)
			break
		}
		used := "never"
		if k.LastUsedAt != nil {
			used = k.LastUsedAt.Format(time.RFC3339)
		}
		fmt.Printf("  %s  %-20s %-8s last_used_at=%s\n", k.ID, k.Name, k.Status, used)
	}

	fmt.Println("4. Create a key scoped to agent agt_weather")
	scoped, err := admin.ServiceAccounts.CreateKey(ctx, sa.ServiceAccount.ID, noorle.CreateAPIKeyParams{
		Name: "weather-reader", Scope: noorle.ResourceScope(noorle.Agent("agt_weather")), Permissions: []noorle.Permission{noorle.PermRead},
	})
	if err != nil {
		expect(false, "create the scoped key: %v", err)
		return
	}
	fmt.Printf("  scoped key %v\n", scoped.Key)
	wc := keyClient(scoped.Key)
	_, err = wc.Request(ctx, "GET", "/v1/agents/agt_weather", nil)
	expect(err == nil, "GET /v1/agents/agt_weather -> 200 %s", errText(err))
	_, err = wc.Request(ctx, "GET", "/v1/agents/agt_support", nil)
	expect(errors.Is(err, noorle.ErrPermissionDenied), "GET /v1/agents/agt_support -> 403 (%v)", err)
	wc.Close()

	fmt.Println("5. Rotate the first key with a one-hour grace period")
	rot, err := admin.APIKeys.Rotate(ctx, first.AccessID(), noorle.RotateAPIKeyParams{GracePeriod: time.Hour})
	if err != nil {
		expect(false, "rotate: %v", err)
		return
	}
	newKey := rot.Key
	until := "?"
	if rot.Previous.RevokedAt != nil {
		until = rot.Previous.RevokedAt.Format(time.RFC3339)
	}
	fmt.Printf("  new key %v (rotated from %s); the old key works until %s\n", newKey, rot.APIKey.RotatedFrom, until)
	expect(works(ctx, first) == nil, "old key still works during the grace period")
	expect(works(ctx, newKey) == nil, "new key works")

	fmt.Println("6. Deactivate the new key")
	_, err = admin.APIKeys.Deactivate(ctx, newKey.AccessID())
	expect(err == nil, "deactivated %s", errText(err))
	err = works(ctx, newKey)
	expect(errors.Is(err, noorle.ErrAuthentication), "inactive key -> 401 (%v)", err)

	fmt.Println("7. Activate it again")
	_, err = admin.APIKeys.Activate(ctx, newKey.AccessID())
	expect(err == nil, "activated %s", errText(err))
	expect(works(ctx, newKey) == nil, "active key works again")

	fmt.Println("8. Revoke it")
	_, err = admin.APIKeys.Revoke(ctx, newKey.AccessID())
	expect(err == nil, "revoked %s", errText(err))
	err = works(ctx, newKey)
	expect(errors.Is(err, noorle.ErrAuthentication), "revoked key -> 401 (%v)", err)
}

func nameOf(r *noorle.APIKeyRecord) string {
	if r == nil {
		return ""
	}
	return r.Name
}

func ownerOf(r *noorle.APIKeyRecord) string {
	if r == nil {
		return ""
	}
	return string(r.Owner.Type) + " " + r.Owner.ID
}

func errText(err error) string {
	if err == nil {
		return ""
	}
	return "(" + err.Error() + ")"
}
