//go:build !cgo

package noorle

// The SDK is a cgo layer over a prebuilt static library: with CGO_ENABLED=0 the build stops here,
// at a name that says what to do, instead of at an unrelated undefined identifier.
var _ = noorle_SDK_requires_cgo__build_with_CGO_ENABLED_1_and_a_C_compiler_such_as_gcc_or_clang
