//go:build linux || darwin

package pbnhl

import "syscall"

// freeBytes is the space an unprivileged process may still write in dir.
func freeBytes(dir string) (int64, error) {
	var st syscall.Statfs_t
	if err := syscall.Statfs(dir, &st); err != nil {
		return 0, err
	}
	// Bsize's type differs between systems.
	return int64(st.Bavail) * int64(st.Bsize), nil //nolint:unconvert
}
