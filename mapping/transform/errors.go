package transform

import "errors"

// Sentinel errors classify a failure; every transform returns them wrapped in
// an *Error, so callers can match with errors.Is and still read the transform
// name and reason with errors.As.
var (
	// ErrInvalid means the input could not be interpreted at all (garbage,
	// wrong shape, impossible date, malformed email...).
	ErrInvalid = errors.New("invalid value")
	// ErrOutOfRange means the input has the right shape but a component is
	// outside its allowed range (month 13, amount beyond int64 cents...).
	ErrOutOfRange = errors.New("value out of range")
	// ErrUnknownValue means a lookup (pick-list, state, country) has no entry
	// for the input.
	ErrUnknownValue = errors.New("unknown value")
	// ErrConfig means the transform itself was configured incorrectly
	// (conflicting pick-list entries, a negative size cap...).
	ErrConfig = errors.New("invalid transform configuration")
)

// Error is the error every transform returns. Its message names the transform
// and a reason a person can read, and never contains the input value: values
// are patient data (PHI) and error strings end up in logs and reports.
type Error struct {
	// Transform is the transform's name, e.g. "date" or "phone".
	Transform string
	// Reason says what is wrong without quoting the value,
	// e.g. "month out of range" or "too few digits".
	Reason string
	// Err is the class of failure: ErrInvalid, ErrOutOfRange,
	// ErrUnknownValue or ErrConfig.
	Err error
}

func (e *Error) Error() string {
	return "transform " + e.Transform + ": " + e.Reason
}

// Unwrap returns the class of failure so errors.Is(err, ErrInvalid) works.
func (e *Error) Unwrap() error { return e.Err }

func newError(transform string, class error, reason string) *Error {
	return &Error{Transform: transform, Reason: reason, Err: class}
}
