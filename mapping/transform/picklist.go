package transform

import (
	"fmt"
	"strings"
)

const picklistTransform = "picklist"

// UnknownPolicy says what a PickList does with a value it has no entry for.
type UnknownPolicy int

const (
	// UnknownError refuses the value: the record is invalid.
	UnknownError UnknownPolicy = iota
	// UnknownPassThrough keeps the value as it came (white space collapsed).
	UnknownPassThrough
	// UnknownDefault replaces the value with PickListOptions.Default.
	UnknownDefault
	// UnknownDrop leaves the field out of the record.
	UnknownDrop
)

var unknownPolicyNames = [...]string{"error", "pass-through", "default", "drop"}

func (p UnknownPolicy) String() string {
	if p >= 0 && int(p) < len(unknownPolicyNames) {
		return unknownPolicyNames[p]
	}
	return fmt.Sprintf("UnknownPolicy(%d)", int(p))
}

// ParseUnknownPolicy reads a policy name as written in a map document:
// "error", "pass-through" (or "passthrough", "keep"), "default", "drop".
func ParseUnknownPolicy(s string) (UnknownPolicy, error) {
	switch strings.ToLower(strings.TrimSpace(s)) {
	case "error", "":
		return UnknownError, nil
	case "pass-through", "passthrough", "pass_through", "keep":
		return UnknownPassThrough, nil
	case "default":
		return UnknownDefault, nil
	case "drop", "omit", "skip":
		return UnknownDrop, nil
	}
	return 0, newError(picklistTransform, ErrConfig, "unknown policy name")
}

// PickListOptions configures a PickList.
type PickListOptions struct {
	// Unknown is the policy for values without an entry.
	Unknown UnknownPolicy
	// Default is the value used by UnknownDefault (and for blank input when
	// DefaultForBlank is set).
	Default string
	// DefaultForBlank maps blank input to Default instead of "".
	DefaultForBlank bool
	// CaseSensitive turns off the default matching, which ignores case and
	// collapses white space ("  in-active " matches "In-Active").
	CaseSensitive bool
}

// PickList maps source values to the option keys of a HighLevel pick-list
// (or pipeline stage names). It is safe for concurrent use once built.
type PickList struct {
	exact map[string]string
	fold  map[string]string
	opts  PickListOptions
}

// NewPickList builds a PickList from source value → target value entries.
// Two entries whose source values match each other under the matching rule
// but map to different targets are a configuration error.
func NewPickList(entries map[string]string, opts PickListOptions) (*PickList, error) {
	if opts.Unknown < UnknownError || opts.Unknown > UnknownDrop {
		return nil, newError(picklistTransform, ErrConfig, "unknown policy value")
	}
	if opts.Unknown == UnknownDefault && opts.Default == "" {
		return nil, newError(picklistTransform, ErrConfig, "policy default needs a default value")
	}
	p := &PickList{exact: make(map[string]string, len(entries)), opts: opts}
	if !opts.CaseSensitive {
		p.fold = make(map[string]string, len(entries))
	}
	for from, to := range entries {
		p.exact[from] = to
		if p.fold == nil {
			continue
		}
		k := foldKey(from)
		if prev, dup := p.fold[k]; dup && prev != to {
			// Naming the source value is safe: it is configuration, not patient data.
			return nil, newError(picklistTransform, ErrConfig,
				fmt.Sprintf("entries %q and another spelling of it map to different values", from))
		}
		p.fold[k] = to
	}
	return p, nil
}

func foldKey(s string) string { return strings.ToLower(Collapse(s)) }

// Map returns the target value for s. keep=false means the field must be
// left out of the record (UnknownDrop, or blank input without a default).
// Under UnknownError, an unmatched value returns an *Error wrapping
// ErrUnknownValue.
func (p *PickList) Map(s string) (value string, keep bool, err error) {
	if to, ok := p.exact[s]; ok {
		return to, true, nil
	}
	if isBlank(s) {
		if p.opts.DefaultForBlank && p.opts.Default != "" {
			return p.opts.Default, true, nil
		}
		return "", false, nil
	}
	if p.fold != nil {
		if to, ok := p.fold[foldKey(s)]; ok {
			return to, true, nil
		}
	}
	switch p.opts.Unknown {
	case UnknownPassThrough:
		return Collapse(s), true, nil
	case UnknownDefault:
		return p.opts.Default, true, nil
	case UnknownDrop:
		return "", false, nil
	}
	return "", false, newError(picklistTransform, ErrUnknownValue, "value not in the pick-list")
}

// Len returns the number of entries.
func (p *PickList) Len() int { return len(p.exact) }
