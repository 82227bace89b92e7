//go:build cgo

package noorle

import (
	"encoding/json"
	"reflect"
	"slices"
	"testing"
	"time"
)

func TestCallOptionsAreTheOpsOptionsObject(t *testing.T) {
	got, err := json.Marshal(applyOptions(idOp{"api_keys.get", "k"}, []CallOption{
		WithCallTimeout(1500 * time.Millisecond), WithCallTotalTimeout(3 * time.Second),
		WithCallMaxRetries(0), WithIdempotencyKey("idem-1"),
	}))
	if err != nil {
		t.Fatal(err)
	}
	want := `{"op":"api_keys.get","id":"k","options":{"timeout":1.5,"total_timeout":3,"max_retries":0,"idempotency_key":"idem-1"}}`
	if string(got) != want {
		t.Errorf("got  %s\nwant %s", got, want)
	}
	// Without options the op is sent as it is.
	got, _ = json.Marshal(applyOptions(opOnly{"whoami"}, nil))
	if string(got) != `{"op":"whoami"}` {
		t.Errorf("got %s", got)
	}
}

// Each operation of the core and the public Go API that runs it.
var (
	clientType  = reflect.TypeOf(&Client{})
	keysType    = reflect.TypeOf(&APIKeysService{})
	accountType = reflect.TypeOf(&ServiceAccountsService{})
	opMethods   = map[string]struct {
		recv reflect.Type
		name string
	}{
		"key_source":                  {clientType, "KeySource"},
		"whoami":                      {clientType, "Whoami"},
		"request":                     {clientType, "Request"},
		"api_keys.create":             {keysType, "Create"},
		"api_keys.list":               {keysType, "List"},
		"api_keys.get":                {keysType, "Get"},
		"api_keys.update":             {keysType, "Update"},
		"api_keys.deactivate":         {keysType, "Deactivate"},
		"api_keys.activate":           {keysType, "Activate"},
		"api_keys.revoke":             {keysType, "Revoke"},
		"api_keys.delete":             {keysType, "Delete"},
		"api_keys.rotate":             {keysType, "Rotate"},
		"api_keys.rotate_file":        {keysType, "RotateFile"},
		"service_accounts.create":     {accountType, "Create"},
		"service_accounts.list":       {accountType, "List"},
		"service_accounts.get":        {accountType, "Get"},
		"service_accounts.update":     {accountType, "Update"},
		"service_accounts.delete":     {accountType, "Delete"},
		"service_accounts.create_key": {accountType, "CreateKey"},
		"service_accounts.list_keys":  {accountType, "ListKeys"},
	}
	// Operations that need no client: package functions (this list is checked by the compiler).
	staticFuncs = map[string]any{
		"version":      Version,
		"parse_key":    ParseAPIKey,
		"load_api_key": LoadAPIKey,
		"auth_headers": AuthHeaders,
		"operations":   nil, // this test
	}
)

func TestEveryCoreOperationHasAGoMethod(t *testing.T) {
	var out struct {
		Operations []string `json:"operations"`
	}
	if err := callStatic(opOnly{"operations"}, into(&out, "operations")); err != nil || len(out.Operations) == 0 {
		t.Fatalf("operations: %v %v", err, out.Operations)
	}
	callOption := reflect.TypeOf([]CallOption{})
	for _, op := range out.Operations {
		if _, ok := staticFuncs[op]; ok {
			continue
		}
		m, ok := opMethods[op]
		if !ok {
			t.Errorf("the core's operation %q has no Go method in this table", op)
			continue
		}
		meth, ok := m.recv.MethodByName(m.name)
		if !ok {
			t.Errorf("%q: %v has no method %s", op, m.recv, m.name)
			continue
		}
		// Every call that goes to the server takes per-call options.
		ft := meth.Type
		if op != "key_source" && (!ft.IsVariadic() || ft.In(ft.NumIn()-1) != callOption) {
			t.Errorf("%q: %v.%s does not take ...CallOption", op, m.recv, m.name)
		}
	}
	for op := range opMethods {
		if !slices.Contains(out.Operations, op) {
			t.Errorf("the table names %q, which the core does not list", op)
		}
	}
	for op := range staticFuncs {
		if !slices.Contains(out.Operations, op) {
			t.Errorf("the table names %q, which the core does not list", op)
		}
	}
}
