// Package noorle is the Go SDK for Noorle API keys: parse and validate keys, load them from the
// environment, secret files and profiles, attach them to requests, and manage keys and service
// accounts, with retries, timeouts and typed errors.
//
// It is a thin cgo layer over the Rust core (the static library libnoorle.a in
// lib/<goos>_<goarch>/: prebuilt in a release, built by build-lib.sh or `make go` in a clone), so
// every language of the SDK behaves the same. It needs cgo and a C compiler, not Rust.
//
//	client, err := noorle.NewClient() // key from NOORLE_API_KEY, key files or a profile
//	if err != nil { ... }
//	defer client.Close()
//	me, err := client.Whoami(ctx)
//	if errors.Is(err, noorle.ErrUnauthorized) { ... }
package noorle
