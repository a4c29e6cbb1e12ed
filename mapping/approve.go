package mapping

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"strings"
	"time"
)

// ErrNotApproved is returned when an unapproved map is asked to run.
var ErrNotApproved = errors.New("mapping: map is not approved")

// DigestMismatchError says a map's content changed after it was approved.
type DigestMismatchError struct {
	File     string
	By       string
	At       time.Time
	Approved string // the digest that was approved
	Current  string // the digest of the content now
}

func (e *DigestMismatchError) Error() string {
	name := e.File
	if name == "" {
		name = "map"
	}
	return fmt.Sprintf("mapping: %s changed after it was approved by %s at %s (approved %s, now %s): review the changes and approve it again",
		name, e.By, e.At.UTC().Format(time.RFC3339), short(e.Approved), short(e.Current))
}

// Is makes errors.Is(err, ErrNotApproved) true for a changed map.
func (e *DigestMismatchError) Is(target error) bool { return target == ErrNotApproved }

func short(d string) string {
	if i := strings.IndexByte(d, ':'); i >= 0 && len(d) > i+13 {
		return d[:i+13]
	}
	return d
}

// Digest returns "sha256:<hex>" of the map's normalised content: everything
// but comments, formatting and the approval itself. Editing a comment keeps an
// approval; changing any rule, confidence or reason voids it.
func (m *Map) Digest() (string, error) {
	data, err := m.canonical()
	if err != nil {
		return "", err
	}
	sum := sha256.Sum256(data)
	return "sha256:" + hex.EncodeToString(sum[:]), nil
}

// Approve stamps the map as approved by who at the given time (UTC, whole
// seconds) for its current content.
func (m *Map) Approve(who string, at time.Time) error {
	if strings.TrimSpace(who) == "" {
		return errors.New("mapping: approve: who is required")
	}
	d, err := m.Digest()
	if err != nil {
		return err
	}
	m.Approval = &Approval{By: strings.TrimSpace(who), At: at.UTC().Truncate(time.Second), Digest: d}
	return nil
}

// Verify returns nil when the map is approved for its current content,
// ErrNotApproved when it was never approved, and a *DigestMismatchError
// (which also matches ErrNotApproved) when it changed after approval.
func (m *Map) Verify() error {
	if m.Approval == nil || m.Approval.Digest == "" {
		return ErrNotApproved
	}
	d, err := m.Digest()
	if err != nil {
		return err
	}
	if d != m.Approval.Digest {
		return &DigestMismatchError{File: m.file, By: m.Approval.By, At: m.Approval.At, Approved: m.Approval.Digest, Current: d}
	}
	return nil
}

// Approved reports whether Verify succeeds.
func (m *Map) Approved() bool { return m.Verify() == nil }

// LoadApproved loads a map and requires it to be approved for its content.
func LoadApproved(path string, opts ...LoadOptions) (*Map, error) {
	m, err := Load(path, opts...)
	if err != nil {
		return nil, err
	}
	if err := m.Verify(); err != nil {
		if errors.Is(err, ErrNotApproved) {
			var dm *DigestMismatchError
			if !errors.As(err, &dm) {
				return nil, fmt.Errorf("%w: %s has no approval; review it and approve it first", ErrNotApproved, path)
			}
		}
		return nil, err
	}
	return m, nil
}
