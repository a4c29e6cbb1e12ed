//go:build !linux && !darwin

package pbnhl

import "errors"

// freeBytes is not measured on this system: the check says so.
func freeBytes(string) (int64, error) {
	return 0, errors.New("free space is not measured on this system")
}
