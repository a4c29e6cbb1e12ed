// Package privatefile writes files that may hold patient data — a map
// with sampled pick-list values, its review, problems and audit exports,
// sample request bodies — so that only their owner can read them, whatever
// was at the path before. The command-line examples (examples/pbn2hl,
// examples/demo) write every such file through it.
package privatefile

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
)

// Write writes what write produces to path, owner-only:
//
//   - the content goes to a new temporary file in the target's directory,
//     created 0600 (os.CreateTemp: O_EXCL, so never an existing file or a
//     link planted under its name), and is synced;
//   - the temporary file is renamed over the target. A rename replaces the
//     directory entry: an existing 0644 file is replaced by the 0600 one
//     (opening it with O_TRUNC would keep its mode), and a symbolic link at
//     the target is replaced, never followed (writing through it would put
//     the data wherever the link points);
//   - a reader never sees half a file, and a failed write (write's error,
//     or the disk's) leaves the old file as it was and no temporary file.
//
// A directory at path is refused.
func Write(path string, write func(io.Writer) error) (err error) {
	if st, err := os.Lstat(path); err == nil && st.IsDir() {
		return fmt.Errorf("%s is a directory", path)
	}
	dir, base := filepath.Split(path)
	if dir == "" {
		dir = "."
	}
	f, err := os.CreateTemp(dir, "."+base+".tmp-*")
	if err != nil {
		return err
	}
	tmp := f.Name()
	defer func() {
		if err != nil {
			_ = f.Close()
			_ = os.Remove(tmp)
		}
	}()
	// CreateTemp asks for 0600 and the umask can only take bits away; the
	// explicit chmod states the mode rather than relying on that.
	if err = f.Chmod(0o600); err != nil {
		return err
	}
	bw := bufio.NewWriterSize(f, 64<<10)
	if err = write(bw); err != nil {
		return err
	}
	if err = bw.Flush(); err != nil {
		return err
	}
	if err = f.Sync(); err != nil {
		return err
	}
	if err = f.Close(); err != nil {
		return err
	}
	if err = os.Rename(tmp, path); err != nil {
		return err
	}
	// The rename is durable once the directory is synced; a failure here
	// leaves the complete file in place, so it is reported, not undone.
	if d, derr := os.Open(dir); derr == nil {
		derr = d.Sync()
		_ = d.Close()
		if derr != nil && !errors.Is(derr, os.ErrInvalid) {
			return fmt.Errorf("sync %s: %w", dir, derr)
		}
	}
	return nil
}
