//go:build cgo && !((linux && (amd64 || arm64)) || (darwin && (amd64 || arm64)) || (windows && amd64))

package noorle

// No prebuilt library exists for this GOOS/GOARCH: stop at a name that says so instead of at a
// link error.
var _ = noorle_SDK_has_no_prebuilt_library_for_this_GOOS_GOARCH__supported_are_linux_amd64_linux_arm64_darwin_amd64_darwin_arm64_windows_amd64
