//go:build cgo

package noorle_test

// The shared scenarios of testdata/scenarios/*.json (format in its README), one subtest each,
// run through the package's public API against the local server.

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	noorle "github.com/noorle/noorle-sdk/bindings-go"
)

// scenarioArgs are a step's args (snake_case, as on the wire), for every op.
type scenarioArgs struct {
	ID                 string              `json:"id"`
	Name               string              `json:"name"`
	Description        string              `json:"description"`
	Role               noorle.Role         `json:"role"`
	Scope              *noorle.Scope       `json:"scope"`
	Permissions        []noorle.Permission `json:"permissions"`
	RateLimitPerMinute int                 `json:"rate_limit_per_minute"`
	GracePeriodSeconds int                 `json:"grace_period_seconds"`
	Status             noorle.KeyStatus    `json:"status"`
	OwnerType          noorle.OwnerType    `json:"owner_type"`
	ServiceAccountID   string              `json:"service_account_id"`
	Limit              int                 `json:"limit"`
	Offset             int                 `json:"offset"`
	Enabled            *bool               `json:"enabled"`
	Method             string              `json:"method"`
	Path               string              `json:"path"`
	JSON               any                 `json:"json"`
}

func (a scenarioArgs) createKey() noorle.CreateAPIKeyParams {
	return noorle.CreateAPIKeyParams{Name: a.Name, Scope: a.Scope, Permissions: a.Permissions, RateLimitPerMinute: a.RateLimitPerMinute}
}

func (a scenarioArgs) page() noorle.PageParams {
	return noorle.PageParams{Limit: a.Limit, Offset: a.Offset}
}

// scenarioOps maps an op name to the public call.
var scenarioOps = map[string]func(context.Context, *noorle.Client, scenarioArgs) (any, error){
	"whoami": func(ctx context.Context, c *noorle.Client, a scenarioArgs) (any, error) { return c.Whoami(ctx) },
	"request": func(ctx context.Context, c *noorle.Client, a scenarioArgs) (any, error) {
		return c.Request(ctx, a.Method, a.Path, &noorle.RequestParams{JSON: a.JSON})
	},
	"api_keys.create": func(ctx context.Context, c *noorle.Client, a scenarioArgs) (any, error) {
		return c.APIKeys.Create(ctx, a.createKey())
	},
	"api_keys.list": func(ctx context.Context, c *noorle.Client, a scenarioArgs) (any, error) {
		return c.APIKeys.List(ctx, noorle.ListAPIKeysParams{Status: a.Status, OwnerType: a.OwnerType,
			ServiceAccountID: a.ServiceAccountID, Limit: a.Limit, Offset: a.Offset})
	},
	"api_keys.get": func(ctx context.Context, c *noorle.Client, a scenarioArgs) (any, error) {
		return c.APIKeys.Get(ctx, a.ID)
	},
	"api_keys.update": func(ctx context.Context, c *noorle.Client, a scenarioArgs) (any, error) {
		return c.APIKeys.Update(ctx, a.ID, noorle.UpdateAPIKeyParams{Name: &a.Name})
	},
	"api_keys.deactivate": func(ctx context.Context, c *noorle.Client, a scenarioArgs) (any, error) {
		return c.APIKeys.Deactivate(ctx, a.ID)
	},
	"api_keys.activate": func(ctx context.Context, c *noorle.Client, a scenarioArgs) (any, error) {
		return c.APIKeys.Activate(ctx, a.ID)
	},
	"api_keys.revoke": func(ctx context.Context, c *noorle.Client, a scenarioArgs) (any, error) {
		return c.APIKeys.Revoke(ctx, a.ID)
	},
	"api_keys.delete": func(ctx context.Context, c *noorle.Client, a scenarioArgs) (any, error) {
		return nil, c.APIKeys.Delete(ctx, a.ID)
	},
	"api_keys.rotate": func(ctx context.Context, c *noorle.Client, a scenarioArgs) (any, error) {
		return c.APIKeys.Rotate(ctx, a.ID, noorle.RotateAPIKeyParams{GracePeriod: time.Duration(a.GracePeriodSeconds) * time.Second})
	},
	"service_accounts.create": func(ctx context.Context, c *noorle.Client, a scenarioArgs) (any, error) {
		return c.ServiceAccounts.Create(ctx, noorle.CreateServiceAccountParams{Name: a.Name, Description: a.Description, Role: a.Role})
	},
	"service_accounts.list": func(ctx context.Context, c *noorle.Client, a scenarioArgs) (any, error) {
		return c.ServiceAccounts.List(ctx, a.page())
	},
	"service_accounts.get": func(ctx context.Context, c *noorle.Client, a scenarioArgs) (any, error) {
		return c.ServiceAccounts.Get(ctx, a.ID)
	},
	"service_accounts.update": func(ctx context.Context, c *noorle.Client, a scenarioArgs) (any, error) {
		p := noorle.UpdateServiceAccountParams{Enabled: a.Enabled}
		if a.Name != "" {
			p.Name = &a.Name
		}
		return c.ServiceAccounts.Update(ctx, a.ID, p)
	},
	"service_accounts.delete": func(ctx context.Context, c *noorle.Client, a scenarioArgs) (any, error) {
		return nil, c.ServiceAccounts.Delete(ctx, a.ID)
	},
	"service_accounts.create_key": func(ctx context.Context, c *noorle.Client, a scenarioArgs) (any, error) {
		return c.ServiceAccounts.CreateKey(ctx, a.ID, a.createKey())
	},
	"service_accounts.list_keys": func(ctx context.Context, c *noorle.Client, a scenarioArgs) (any, error) {
		return c.ServiceAccounts.ListKeys(ctx, a.ID, a.page())
	},
}

// scenarioSentinels: an error of a scenario's kind must match this sentinel under errors.Is.
var scenarioSentinels = map[string]error{
	"authentication":    noorle.ErrAuthentication,
	"permission_denied": noorle.ErrPermissionDenied,
	"not_found":         noorle.ErrNotFound,
	"conflict":          noorle.ErrConflict,
	"validation":        noorle.ErrValidation,
	"rate_limited":      noorle.ErrRateLimited,
	"server":            noorle.ErrServer,
	"connection":        noorle.ErrConnection,
	"timeout":           noorle.ErrTimeout,
	"config":            noorle.ErrConfig,
}

type stepFailed struct{ msg string }

func (e stepFailed) Error() string { return e.msg }

func failf(format string, args ...any) error { return stepFailed{fmt.Sprintf(format, args...)} }

func keyObj(s string) map[string]any {
	return map[string]any{"value": s, "access_id": s[3:35], "secret": s[35:]}
}

// scenarioNorm turns a result into plain JSON values: records by their JSON names, the key as
// {value, access_id, secret}, timestamps (fields ending in _at) as epoch seconds.
func scenarioNorm(v any) (any, error) {
	if r, ok := v.(*noorle.Response); ok {
		var body any
		if err := json.Unmarshal(r.JSON, &body); err != nil {
			return nil, err
		}
		return map[string]any{"status": float64(r.Status), "json": normTimes(body, "")}, nil
	}
	b, err := json.Marshal(v)
	if err != nil {
		return nil, err
	}
	var out any
	if err := json.Unmarshal(b, &out); err != nil {
		return nil, err
	}
	if k, ok := resultKey(v); ok {
		out.(map[string]any)["key"] = keyObj(k.ExposeSecret())
	}
	return normTimes(out, ""), nil
}

func resultKey(v any) (noorle.APIKey, bool) {
	switch r := v.(type) {
	case *noorle.CreatedAPIKey:
		return r.Key, true
	case *noorle.RotatedAPIKey:
		return r.Key, true
	case *noorle.CreatedServiceAccount:
		return r.Key, true
	}
	return noorle.APIKey{}, false
}

func normTimes(v any, name string) any {
	switch x := v.(type) {
	case string:
		if strings.HasSuffix(name, "_at") {
			if t, err := time.Parse(time.RFC3339Nano, x); err == nil {
				return float64(t.UnixNano()) / 1e9
			}
		}
	case map[string]any:
		for k, y := range x {
			x[k] = normTimes(y, k)
		}
	case []any:
		for i, y := range x {
			x[i] = normTimes(y, "")
		}
	}
	return v
}

var scenarioVar = regexp.MustCompile(`\$\{([^}]+)\}`)

func lookup(saved map[string]any, path string) (any, error) {
	var cur any = saved
	for _, part := range strings.Split(path, ".") {
		switch c := cur.(type) {
		case map[string]any:
			v, ok := c[part]
			if !ok {
				return nil, failf("${%s}: no '%s' in the saved results", path, part)
			}
			cur = v
		case []any:
			i, err := strconv.Atoi(part)
			if err != nil || i < 0 || i >= len(c) {
				return nil, failf("${%s}: no '%s' in the saved results", path, part)
			}
			cur = c[i]
		default:
			return nil, failf("${%s}: no '%s' in the saved results", path, part)
		}
	}
	return cur, nil
}

func subst(v any, saved map[string]any) (any, error) {
	switch x := v.(type) {
	case string:
		if m := scenarioVar.FindStringSubmatch(x); m != nil && m[0] == x {
			return lookup(saved, m[1])
		}
		var err error
		out := scenarioVar.ReplaceAllStringFunc(x, func(s string) string {
			got, e := lookup(saved, s[2:len(s)-1])
			if e != nil {
				err = e
			}
			if str, ok := got.(string); ok {
				return str
			}
			b, _ := json.Marshal(got)
			return string(b)
		})
		return out, err
	case map[string]any:
		out := map[string]any{}
		for k, y := range x {
			s, err := subst(y, saved)
			if err != nil {
				return nil, err
			}
			out[k] = s
		}
		return out, nil
	case []any:
		out := make([]any, len(x))
		for i, y := range x {
			s, err := subst(y, saved)
			if err != nil {
				return nil, err
			}
			out[i] = s
		}
		return out, nil
	}
	return v, nil
}

func matches(exp, act any) bool { return match(exp, act, "") == nil }

func match(exp, act any, where string) error {
	fail := func(why string) error {
		e, _ := json.Marshal(exp)
		a, _ := json.Marshal(act)
		if where == "" {
			where = "result"
		}
		return failf("%s: %s; expected %s, got %s", where, why, e, a)
	}
	switch e := exp.(type) {
	case string:
		if e == "$present" {
			if act == nil {
				return fail("missing")
			}
			return nil
		}
		if a, ok := act.(string); !ok || a != e {
			return fail("different")
		}
	case map[string]any:
		if slices.ContainsFunc(mapKeys(e), func(k string) bool { return strings.HasPrefix(k, "$") }) {
			return matchOps(e, act, fail)
		}
		a, ok := act.(map[string]any)
		if !ok {
			return fail("not an object")
		}
		for k, x := range e {
			at := k
			if where != "" {
				at = where + "." + k
			}
			if err := match(x, a[k], at); err != nil {
				return err
			}
		}
	case []any:
		a, ok := act.([]any)
		if !ok || len(a) != len(e) {
			return fail("a list of another length")
		}
		for i := range e {
			if err := match(e[i], a[i], fmt.Sprintf("%s[%d]", where, i)); err != nil {
				return err
			}
		}
	case nil:
		if act != nil {
			return fail("not null")
		}
	default:
		if act != exp {
			return fail("different")
		}
	}
	return nil
}

func mapKeys(m map[string]any) []string {
	ks := make([]string, 0, len(m))
	for k := range m {
		ks = append(ks, k)
	}
	return ks
}

func matchOps(ops map[string]any, act any, fail func(string) error) error {
	for op, arg := range ops {
		pats, isList := arg.([]any)
		if !isList {
			pats = []any{arg}
		}
		switch op {
		case "$len":
			a, ok := act.([]any)
			if !ok || float64(len(a)) != arg {
				return fail("wrong length")
			}
		case "$gt", "$lt":
			x, ok1 := act.(float64)
			y, ok2 := arg.(float64)
			if !ok1 || !ok2 || (op == "$gt" && !(x > y)) || (op == "$lt" && !(x < y)) {
				return fail(op)
			}
		case "$ne":
			if matches(arg, act) {
				return fail("equal")
			}
		case "$contains", "$excludes":
			for _, p := range pats {
				var found bool
				switch a := act.(type) {
				case string:
					s, ok := p.(string)
					found = ok && strings.Contains(a, s)
				case []any:
					found = slices.ContainsFunc(a, func(x any) bool { return matches(p, x) })
				default:
					return fail("neither a string nor a list")
				}
				if found != (op == "$contains") {
					return fail(op)
				}
			}
		case "$unordered":
			a, ok := act.([]any)
			if !ok || len(a) != len(pats) {
				return fail("not a list of that length")
			}
			rest := slices.Clone(a)
			for _, p := range pats {
				i := slices.IndexFunc(rest, func(x any) bool { return matches(p, x) })
				if i < 0 {
					return fail("no element matches a pattern")
				}
				rest = slices.Delete(rest, i, i+1)
			}
		default:
			return fail("unknown matcher " + op)
		}
	}
	return nil
}

// printedForms is what a user sees when printing or logging v.
func printedForms(v any) []string {
	forms := []string{fmt.Sprintf("%v", v), fmt.Sprintf("%+v", v), fmt.Sprintf("%#v", v), fmt.Sprintf("%s", v)}
	if err, ok := v.(error); ok {
		forms = append(forms, err.Error())
	} else {
		b, _ := json.Marshal(v)
		forms = append(forms, string(b))
	}
	if k, ok := resultKey(v); ok {
		forms = append(forms, k.String(), fmt.Sprintf("%#v", k), fmt.Sprintf("%q", k))
	}
	return forms
}

func checkPrinted(spec any, v any) error {
	m, _ := spec.(map[string]any)
	for _, form := range printedForms(v) {
		inc, _ := m["includes"].([]any)
		for _, s := range inc {
			if !strings.Contains(form, s.(string)) {
				return failf("printed form lacks %s: %s", s, form)
			}
		}
		exc, _ := m["excludes"].([]any)
		for _, s := range exc {
			if strings.Contains(form, s.(string)) {
				return failf("a printed form contains a secret")
			}
		}
	}
	return nil
}

type scenarioRunner struct {
	t       *testing.T
	saved   map[string]any
	keys    map[string]string
	clients map[string]*noorle.Client
}

func (r *scenarioRunner) key(who string) (string, error) {
	if k, ok := r.keys[who]; ok {
		return k, nil
	}
	v, err := lookup(r.saved, who+".key.value")
	s, _ := v.(string)
	return s, err
}

func (r *scenarioRunner) client(who string) (*noorle.Client, error) {
	if c, ok := r.clients[who]; ok {
		return c, nil
	}
	k, err := r.key(who)
	if err != nil {
		return nil, err
	}
	r.clients[who] = newClient(r.t, k)
	return r.clients[who], nil
}

func devRequests(t *testing.T, a map[string]any) (any, error) {
	baseURL, _ := serverEnv(t)
	q := url.Values{}
	for k, v := range a {
		q.Set(k, fmt.Sprint(v))
	}
	resp, err := http.Get(baseURL + "/_dev/requests?" + q.Encode())
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	var out any
	return out, json.NewDecoder(resp.Body).Decode(&out)
}

func (r *scenarioRunner) step(ctx context.Context, step map[string]any) error {
	rawArgs, err := subst(step["args"], r.saved)
	if err != nil {
		return err
	}
	argMap, _ := rawArgs.(map[string]any)
	who, _ := step["as"].(string)
	if f, ok := step["fault"]; ok {
		fs, err := subst(f, r.saved)
		if err != nil {
			return err
		}
		spec := fs.(map[string]any)
		k, err := r.key(who)
		if err != nil {
			return err
		}
		count := 1
		if n, ok := spec["count"].(float64); ok {
			count = int(n)
		}
		fault(r.t, noorle.MustParseAPIKey(k).AccessID(), spec["method"].(string), spec["path"].(string), count, spec["fault"].(map[string]any))
	}

	op, _ := step["op"].(string)
	var raw any
	var callErr error
	if op == "dev.requests" {
		raw, callErr = devRequests(r.t, argMap)
		if callErr != nil {
			return callErr
		}
	} else {
		call, ok := scenarioOps[op]
		if !ok {
			return failf("no such op in the scenario runner: %s", op)
		}
		var a scenarioArgs
		b, _ := json.Marshal(argMap)
		if err := json.Unmarshal(b, &a); err != nil {
			return failf("args: %v", err)
		}
		c, err := r.client(who)
		if err != nil {
			return err
		}
		raw, callErr = call(ctx, c, a)
	}

	if expErr, ok := step["expect_error"]; ok {
		var ne *noorle.Error
		if !errors.As(callErr, &ne) {
			return failf("expected an error, got %v (%v)", raw, callErr)
		}
		exp, err := subst(expErr, r.saved)
		if err != nil {
			return err
		}
		got := map[string]any{"kind": string(ne.Kind), "code": ne.Code, "message": ne.Message}
		if ne.Status != 0 {
			got["status"] = float64(ne.Status)
		}
		if ne.RequestID != "" {
			got["request_id"] = ne.RequestID
		}
		if ne.Details != nil {
			got["details"] = map[string]any(ne.Details)
		}
		if err := match(exp, got, "error"); err != nil {
			return err
		}
		if kind, ok := exp.(map[string]any)["kind"].(string); ok && !errors.Is(callErr, scenarioSentinels[kind]) {
			return failf("error %v does not match the sentinel of %s", callErr, kind)
		}
		if p, ok := step["printed"]; ok {
			spec, err := subst(p, r.saved)
			if err != nil {
				return err
			}
			return checkPrinted(spec, callErr)
		}
		return nil
	}
	if callErr != nil {
		return failf("unexpected error: %v", callErr)
	}
	var result any
	if op == "dev.requests" {
		result = raw
	} else if raw != nil && !isNilPtr(raw) {
		if result, err = scenarioNorm(raw); err != nil {
			return err
		}
	}
	if name, ok := step["save"].(string); ok {
		r.saved[name] = result
	}
	if exp, ok := step["expect"]; ok {
		e, err := subst(exp, r.saved)
		if err != nil {
			return err
		}
		if err := match(e, result, ""); err != nil {
			return err
		}
	}
	if p, ok := step["printed"]; ok {
		spec, err := subst(p, r.saved)
		if err != nil {
			return err
		}
		return checkPrinted(spec, raw)
	}
	return nil
}

func isNilPtr(v any) bool {
	b, _ := json.Marshal(v)
	return string(b) == "null"
}

func TestScenarios(t *testing.T) {
	files, err := filepath.Glob("../testdata/scenarios/*.json")
	if err != nil || len(files) < 8 {
		t.Fatalf("the scenarios in testdata/scenarios: %v %v", files, err)
	}
	slices.Sort(files)
	_, rootKey := serverEnv(t)
	for _, file := range files {
		b, err := os.ReadFile(file)
		if err != nil {
			t.Fatal(err)
		}
		var scenario struct {
			Name  string           `json:"name"`
			Steps []map[string]any `json:"steps"`
		}
		if err := json.Unmarshal(b, &scenario); err != nil {
			t.Fatalf("%s: %v", file, err)
		}
		t.Run(scenario.Name, func(t *testing.T) {
			t.Parallel()
			run := make([]byte, 4)
			_, _ = rand.Read(run)
			r := &scenarioRunner{t: t, saved: map[string]any{"run": hex.EncodeToString(run)},
				keys: map[string]string{"root": rootKey}, clients: map[string]*noorle.Client{}}
			ctx := context.Background()
			for i, step := range scenario.Steps {
				if err := r.step(ctx, step); err != nil {
					t.Fatalf("%s step %d (%v): %v", scenario.Name, i+1, step["op"], err)
				}
			}
		})
	}
}
