package noorle_test

import (
	"context"
	"errors"
	"net/http"
	"sync"
	"testing"
	"time"

	noorle "github.com/noorle/noorle-sdk/bindings-go"
)

func TestWhoamiAndKeySource(t *testing.T) {
	key, c := freshKey(t)
	me, err := c.Whoami(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if me.ID != key.AccessID() || me.Status != noorle.StatusActive || me.Owner.Type != noorle.OwnerServiceAccount {
		t.Errorf("whoami: %+v", me)
	}
	if c.KeySource().Kind != noorle.SourceExplicit {
		t.Errorf("key source %v", c.KeySource())
	}
	base, _ := serverEnv(t)
	if c.BaseURL() != base {
		t.Errorf("base url %q", c.BaseURL())
	}
}

func TestServiceAccountLifecycle(t *testing.T) {
	ctx := context.Background()
	sas := testAccount(t).client.ServiceAccounts
	created, err := sas.Create(ctx, noorle.CreateServiceAccountParams{Name: "go-sa-" + suffix(), Description: "lifecycle", Role: noorle.RoleViewer})
	if err != nil {
		t.Fatal(err)
	}
	sa := created.ServiceAccount
	if sa.Role != noorle.RoleViewer || !sa.Enabled || created.Key.AccessID() != created.APIKey.ID {
		t.Fatalf("created %+v / %v", sa, created.Key)
	}
	got, err := sas.Get(ctx, sa.ID)
	if err != nil || got.Name != sa.Name || got.Description != "lifecycle" {
		t.Fatalf("get: %+v %v", got, err)
	}
	upd, err := sas.Update(ctx, sa.ID, noorle.UpdateServiceAccountParams{Description: noorle.Ptr("changed"), Enabled: noorle.Ptr(false)})
	if err != nil || upd.Description != "changed" || upd.Enabled {
		t.Fatalf("update: %+v %v", upd, err)
	}
	// A disabled account's key is refused.
	viewer := newClient(t, created.Key.ExposeSecret())
	if _, err := viewer.Whoami(ctx); !errors.Is(err, noorle.ErrAuthentication) {
		t.Errorf("disabled account: %v", err)
	}
	if _, err := sas.Update(ctx, sa.ID, noorle.UpdateServiceAccountParams{Enabled: noorle.Ptr(true)}); err != nil {
		t.Fatal(err)
	}
	if _, err := viewer.Whoami(ctx); err != nil {
		t.Errorf("re-enabled account: %v", err)
	}
	second, err := sas.CreateKey(ctx, sa.ID, noorle.CreateAPIKeyParams{Name: "second"})
	if err != nil || second.APIKey.Owner.ID != sa.ID {
		t.Fatalf("create key: %+v %v", second, err)
	}
	page, err := sas.ListKeys(ctx, sa.ID, noorle.PageParams{Limit: 1})
	if err != nil || page.Total != 2 || len(page.Items) != 1 || !page.HasNext() {
		t.Fatalf("list keys: %+v %v", page, err)
	}
	n := 0
	for k, err := range sas.ListKeysAll(ctx, sa.ID, noorle.PageParams{Limit: 1}) {
		if err != nil {
			t.Fatal(err)
		}
		if k.Owner.ID != sa.ID {
			t.Errorf("key of another owner: %+v", k)
		}
		n++
	}
	if n != 2 {
		t.Errorf("iterated %d keys, want 2", n)
	}
	// The account-wide list is shared with every other suite, newest first: the new account is
	// on the first page unless a hundred newer ones appear meanwhile, and others deleting theirs
	// while a walk is under way could shift it past a page boundary. So stop at the first page
	// that holds it instead of walking (and counting) the whole list.
	found := false
	for s, err := range sas.ListAll(ctx, noorle.PageParams{Limit: 100}) {
		if err != nil {
			t.Fatal(err)
		}
		if s.ID == sa.ID {
			found = true
			break
		}
	}
	if !found {
		t.Error("ListAll does not show the new account")
	}
	if p, err := sas.List(ctx, noorle.PageParams{Limit: 1}); err != nil || len(p.Items) != 1 {
		t.Errorf("list: %+v %v", p, err)
	}
	if err := sas.Delete(ctx, sa.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := sas.Get(ctx, sa.ID); !errors.Is(err, noorle.ErrNotFound) {
		t.Errorf("after delete: %v", err)
	}
	if _, err := viewer.Whoami(ctx); !errors.Is(err, noorle.ErrAuthentication) {
		t.Errorf("key of a deleted account: %v", err)
	}
}

func TestAPIKeyLifecycle(t *testing.T) {
	ctx := context.Background()
	keys := testAccount(t).client.APIKeys
	expires := time.Now().Add(48 * time.Hour).UTC().Truncate(time.Second)
	created, err := keys.Create(ctx, noorle.CreateAPIKeyParams{
		Name: "go-direct-" + suffix(), Permissions: []noorle.Permission{noorle.PermRead},
		ExpiresAt: expires, RateLimitPerMinute: 600,
	})
	if err != nil {
		t.Fatal(err)
	}
	id := created.APIKey.ID
	if created.Key.AccessID() != id || created.APIKey.ExpiresAt == nil || !created.APIKey.ExpiresAt.Equal(expires) ||
		created.APIKey.RateLimitPerMinute == nil || *created.APIKey.RateLimitPerMinute != 600 {
		t.Fatalf("created %+v", created.APIKey)
	}
	kc := newClient(t, created.Key.ExposeSecret(), noorle.WithMaxRetries(0))
	if _, err := kc.Whoami(ctx); err != nil {
		t.Fatal(err)
	}
	got, err := keys.Get(ctx, id)
	if err != nil || got.LastUsedAt == nil {
		t.Fatalf("get (last_used_at set after use): %+v %v", got, err)
	}
	upd, err := keys.Update(ctx, id, noorle.UpdateAPIKeyParams{Name: noorle.Ptr("renamed"), ClearExpiry: true})
	if err != nil || upd.Name != "renamed" || upd.ExpiresAt != nil {
		t.Fatalf("update: %+v %v", upd, err)
	}
	if r, err := keys.Deactivate(ctx, id); err != nil || r.Status != noorle.StatusInactive {
		t.Fatalf("deactivate: %+v %v", r, err)
	}
	if _, err := kc.Whoami(ctx); !errors.Is(err, noorle.ErrAuthentication) {
		t.Errorf("inactive key: %v", err)
	}
	if r, err := keys.Activate(ctx, id); err != nil || r.Status != noorle.StatusActive {
		t.Fatalf("activate: %+v %v", r, err)
	}
	rot, err := keys.Rotate(ctx, id, noorle.RotateAPIKeyParams{GracePeriod: time.Hour})
	if err != nil {
		t.Fatal(err)
	}
	if rot.APIKey.RotatedFrom != id || rot.Previous.ID != id || rot.Previous.RevokedAt == nil || rot.Key.AccessID() != rot.APIKey.ID {
		t.Fatalf("rotate: %+v", rot)
	}
	if _, err := kc.Whoami(ctx); err != nil {
		t.Errorf("old key during the grace period: %v", err)
	}
	if _, err := newClient(t, rot.Key.ExposeSecret()).Whoami(ctx); err != nil {
		t.Errorf("new key: %v", err)
	}
	if err := keys.Delete(ctx, rot.APIKey.ID); !errors.Is(err, noorle.ErrConflict) {
		t.Errorf("deleting an active key: %v", err)
	}
	for _, k := range []string{id, rot.APIKey.ID} {
		if r, err := keys.Revoke(ctx, k); err != nil || r.Status != noorle.StatusRevoked {
			t.Fatalf("revoke: %+v %v", r, err)
		}
	}
	if _, err := kc.Whoami(ctx); !errors.Is(err, noorle.ErrAuthentication) {
		t.Errorf("revoked key: %v", err)
	}
	if _, err := keys.Activate(ctx, id); !errors.Is(err, noorle.ErrConflict) {
		t.Errorf("activating a revoked key: %v", err)
	}
	if err := keys.Delete(ctx, id); err != nil {
		t.Fatalf("delete: %v", err)
	}
	if _, err := keys.Get(ctx, id); !errors.Is(err, noorle.ErrNotFound) {
		t.Errorf("after delete: %v", err)
	}
}

func TestAPIKeyListAndIterate(t *testing.T) {
	ctx := context.Background()
	a := testAccount(t)
	// An account of this test's own: nobody else adds or removes its keys, so totals and offset
	// pages are exact even while other suites use the server.
	own, err := a.client.ServiceAccounts.Create(ctx, noorle.CreateServiceAccountParams{Name: "go-paging-" + suffix(), Role: noorle.RoleViewer})
	if err != nil {
		t.Fatal(err)
	}
	defer a.client.ServiceAccounts.Delete(ctx, own.ServiceAccount.ID)
	want := map[string]bool{own.APIKey.ID: true}
	for i := 0; i < 4; i++ {
		k, err := a.client.ServiceAccounts.CreateKey(ctx, own.ServiceAccount.ID, noorle.CreateAPIKeyParams{Name: "page"})
		if err != nil {
			t.Fatal(err)
		}
		want[k.APIKey.ID] = true
	}
	params := noorle.ListAPIKeysParams{ServiceAccountID: own.ServiceAccount.ID, Status: noorle.StatusActive, OwnerType: noorle.OwnerServiceAccount, Limit: 2}
	page, err := a.client.APIKeys.List(ctx, params)
	if err != nil || len(page.Items) != 2 || page.Total != 5 || page.NextOffset == nil || *page.NextOffset != 2 {
		t.Fatalf("first page: %+v %v", page, err)
	}
	// Five keys in pages of two: three pages, every key once.
	seen := map[string]bool{}
	for k, err := range a.client.APIKeys.ListAll(ctx, params) {
		if err != nil {
			t.Fatal(err)
		}
		if seen[k.ID] || !want[k.ID] || k.Status != noorle.StatusActive || k.Owner.ID != own.ServiceAccount.ID {
			t.Errorf("unexpected %+v", k)
		}
		seen[k.ID] = true
	}
	if len(seen) != len(want) {
		t.Errorf("iterated %d keys, want %d", len(seen), len(want))
	}
	// Breaking out of the loop stops the walk.
	n := 0
	for range a.client.APIKeys.ListAll(ctx, params) {
		n++
		break
	}
	if n != 1 {
		t.Errorf("break: %d", n)
	}
	// An error ends the iteration: one step, carrying that error.
	n = 0
	for _, err := range a.client.APIKeys.ListAll(ctx, noorle.ListAPIKeysParams{Limit: 1000}) {
		n++
		if !errors.Is(err, noorle.ErrValidation) {
			t.Errorf("limit 1000: %v", err)
		}
	}
	if n != 1 {
		t.Errorf("limit 1000: %d steps, want exactly one (the error)", n)
	}
}

func TestScopedKeyAndRequest(t *testing.T) {
	ctx := context.Background()
	a := testAccount(t)
	created, err := a.client.ServiceAccounts.CreateKey(ctx, a.sa.ID, noorle.CreateAPIKeyParams{
		Name: "weather-only", Scope: noorle.ResourceScope(noorle.Agent("agt_weather")), Permissions: []noorle.Permission{noorle.PermRead, noorle.PermExecute},
	})
	if err != nil {
		t.Fatal(err)
	}
	c := newClient(t, created.Key.ExposeSecret())
	r, err := c.Request(ctx, "GET", "/v1/agents/agt_weather", nil)
	if err != nil || r.Status != 200 || r.Header.Get("X-Request-Id") == "" {
		t.Fatalf("read agt_weather: %+v %v", r, err)
	}
	var agent struct {
		Agent struct{ ID string } `json:"agent"`
	}
	if err := r.Decode(&agent); err != nil || agent.Agent.ID != "agt_weather" {
		t.Errorf("decode: %+v %v", agent, err)
	}
	_, err = c.Request(ctx, "GET", "/v1/agents/agt_support", nil)
	var e *noorle.Error
	if !errors.As(err, &e) || !errors.Is(err, noorle.ErrPermissionDenied) || e.Status != 403 || e.Code != "forbidden" || e.RequestID == "" {
		t.Errorf("agt_support: %#v", err)
	}
	r, err = c.Request(ctx, "GET", "/v1/agents", &noorle.RequestParams{Query: map[string]string{"limit": "5"}})
	var list struct {
		Agents []struct{ ID string } `json:"agents"`
		Limit  int                   `json:"limit"`
	}
	if err != nil || r.Decode(&list) != nil || len(list.Agents) != 1 || list.Limit != 5 {
		t.Errorf("list agents: %+v %v", list, err)
	}
	r, err = c.Request(ctx, "POST", "/v1/agents/agt_weather/run", &noorle.RequestParams{JSON: map[string]any{"input": "hi"}})
	var run struct {
		Run struct {
			Output struct{ Echo string } `json:"output"`
		} `json:"run"`
	}
	if err != nil || r.Decode(&run) != nil || run.Run.Output.Echo != "hi" {
		t.Errorf("run: %+v %v", run, err)
	}
	// A scoped key cannot manage.
	if _, err := c.APIKeys.List(ctx, noorle.ListAPIKeysParams{}); !errors.Is(err, noorle.ErrPermissionDenied) {
		t.Errorf("scoped key managing: %v", err)
	}
}

func TestHeaderSchemes(t *testing.T) {
	for _, s := range []noorle.HeaderScheme{noorle.SchemeXAPIKey, noorle.SchemeAPIKey, noorle.SchemeAuthorization} {
		key, c := freshKey(t, noorle.WithHeaderScheme(s))
		if _, err := c.Whoami(context.Background()); err != nil {
			t.Fatalf("%s: %v", s, err)
		}
		log := requestLog(t, key.AccessID(), "GET", "/v1/api-keys/self")
		if len(log) != 1 || deref(log[0].AuthHeader) != string(s) {
			t.Errorf("%s: server saw %+v", s, log)
		}
	}
}

func TestTransportForOwnHTTPClient(t *testing.T) {
	key, _ := freshKey(t)
	base, _ := serverEnv(t)
	for _, s := range []noorle.HeaderScheme{"", noorle.SchemeAuthorization} {
		tr, err := noorle.NewTransport(nil, key, s, base)
		if err != nil {
			t.Fatal(err)
		}
		hc := &http.Client{Transport: tr}
		req, _ := http.NewRequest("GET", base+"/v1/agents", nil)
		resp, err := hc.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != 200 || req.Header.Get("X-API-Key") != "" {
			t.Errorf("%q: %s (caller's request must stay untouched)", s, resp.Status)
		}
	}
	log := requestLog(t, key.AccessID(), "GET", "/v1/agents")
	if len(log) != 2 || deref(log[0].AuthHeader) != "x-api-key" || deref(log[1].AuthHeader) != "authorization" {
		t.Errorf("server saw %+v", log)
	}
	h, err := noorle.AuthHeaders(key, noorle.SchemeAPIKey)
	if err != nil || h["API-Key"] != key.ExposeSecret() || len(h) != 1 {
		t.Errorf("AuthHeaders: %v", err)
	}
}

func TestConcurrentCallsAndClose(t *testing.T) {
	_, c := freshKey(t)
	var wg sync.WaitGroup
	errs := make(chan error, 64)
	for i := 0; i < 16; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for j := 0; j < 5; j++ {
				if _, err := c.Whoami(context.Background()); err != nil {
					errs <- err
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	if err := c.Close(); err != nil {
		t.Fatal(err)
	}
	if err := c.Close(); err != nil {
		t.Fatal("second Close:", err)
	}
	if _, err := c.Whoami(context.Background()); !errors.Is(err, noorle.ErrClosed) {
		t.Errorf("after Close: %v", err)
	}
}
