package rollback

import (
	"errors"
	"fmt"
)

var (
	// ErrClosed is returned by every method of a closed Ledger.
	ErrClosed = errors.New("rollback: ledger is closed")
	// ErrNotFound is what a Target returns (or wraps) when the record,
	// relation or schema element no longer exists. Undo counts it as done
	// for deletes and unlinks.
	ErrNotFound = errors.New("rollback: not found at the destination")
	// ErrIrreversible is what a Target returns (or wraps) when the
	// destination offers no way to compensate (e.g. HighLevel cannot delete
	// a custom object schema or a pipeline through its API). Undo reports
	// the compensation as irreversible.
	ErrIrreversible = errors.New("rollback: the destination cannot reverse this")
	// ErrNoIntent is returned by Outcome when no intent has that run and sequence.
	ErrNoIntent = errors.New("rollback: no such intent")
	// ErrOutcomeFinal is returned when an outcome is recorded for an intent
	// that already has a final (done or rejected) outcome.
	ErrOutcomeFinal = errors.New("rollback: intent already has a final outcome")
	// ErrRunFinished is returned when journaling into a run that has finished.
	ErrRunFinished = errors.New("rollback: run is finished")
	// ErrNoRun is returned when a run id does not exist.
	ErrNoRun = errors.New("rollback: no such run")
	// ErrKeyRequired is returned by Open when the ledger holds encrypted
	// entries and no key was given.
	ErrKeyRequired = errors.New("rollback: ledger is encrypted and no key was given")
	// ErrWrongKey is returned when a key does not decrypt what it claims to.
	ErrWrongKey = errors.New("rollback: wrong encryption key")
	// ErrSchemaTooNew is returned by Open for a ledger written by a newer version.
	ErrSchemaTooNew = errors.New("rollback: ledger schema is newer than this library")
)

// KeyError tells which key failed; it matches ErrWrongKey or ErrKeyRequired
// with errors.Is.
type KeyError struct {
	KeyID string
	Err   error
}

func (e *KeyError) Error() string {
	return fmt.Sprintf("rollback: key %q: %v", e.KeyID, e.Err)
}

func (e *KeyError) Unwrap() error { return e.Err }

// InvalidArgumentError reports a malformed Intent, Outcome or option.
type InvalidArgumentError struct {
	Field  string
	Reason string
}

func (e *InvalidArgumentError) Error() string {
	return fmt.Sprintf("rollback: invalid %s: %s", e.Field, e.Reason)
}

func invalidArg(field, reason string) error {
	return &InvalidArgumentError{Field: field, Reason: reason}
}
