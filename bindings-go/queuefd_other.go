//go:build cgo && !linux

package noorle

import "errors"

// dupCloexec is never reached off Linux: the library gives a queue a readiness fd only there.
func dupCloexec(int) (int, error) {
	return -1, errors.New("no readiness fd on this platform")
}
