package mapping

import (
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"sync"

	"github.com/pbnhl/pbnhl/mapping/transform"
)

// ContactFieldValue is the JSON a contact_field object writes into one
// contact's LARGE_TEXT custom field.
type ContactFieldValue struct {
	Object     string // the map object ("communication_log")
	ContactKey string // the contact's source key (its patient id)
	FieldKey   string // the contact custom field key
	JSON       string
	Report     transform.BlobReport
}

// Problem is a warning when the cap forced entries out or strings shorter.
func (v ContactFieldValue) Problem() (Problem, bool) {
	if !v.Report.Truncated() {
		return Problem{}, false
	}
	return Problem{Object: v.Object, SourceKey: v.ContactKey, Field: v.FieldKey, Rule: "truncated", Severity: Warning,
		Reason: fmt.Sprintf("%d of %d entries kept and %d strings shortened to fit %d bytes", v.Report.Kept, v.Report.Entries, v.Report.TruncatedStrings, v.Report.Bytes)}, true
}

// Aggregator folds the payloads of contact_field objects (communication
// logs, form submissions) into one JSON array per contact and object, capped
// to the object's max_bytes without splitting a character. Entries keep
// their arrival order; when the cap bites, the newest entries are kept. It
// holds entries until Take or All: feed it one patient's records at a time
// and Take them to keep memory flat. Safe for concurrent use.
type Aggregator struct {
	m      *Map
	mu     sync.Mutex
	groups map[aggKey][]any
}

type aggKey struct{ object, contact string }

// NewAggregator returns an aggregator for the map's contact_field objects.
func NewAggregator(m *Map) *Aggregator {
	return &Aggregator{m: m, groups: map[aggKey][]any{}}
}

// Add takes a valid contact_field payload; others are ignored (false).
func (a *Aggregator) Add(p *Payload) bool {
	if p.Target != TargetContactField || p.Skipped != "" || !p.Valid() {
		return false
	}
	l, ok := p.Link(LinkContact)
	if !ok {
		return false
	}
	entry := make(map[string]any, len(p.Fields)+len(p.Custom))
	for _, vs := range [][]Value{p.Fields, p.Custom} {
		for _, v := range vs {
			entry[v.Key] = entryValue(v)
		}
	}
	a.mu.Lock()
	k := aggKey{p.Object, l.Key}
	a.groups[k] = append(a.groups[k], entry)
	a.mu.Unlock()
	return true
}

// entryValue embeds JSON-looking text (form fields) as JSON, not as a string.
func entryValue(v Value) any {
	if v.List != nil {
		return v.List
	}
	t := strings.TrimSpace(v.Text)
	if len(t) > 1 && (t[0] == '[' || t[0] == '{') && json.Valid([]byte(t)) {
		var x any
		if json.Unmarshal([]byte(t), &x) == nil {
			return x
		}
	}
	return v.Text
}

// Take removes and returns the values gathered for one contact.
func (a *Aggregator) Take(contactKey string) ([]ContactFieldValue, error) {
	a.mu.Lock()
	var keys []aggKey
	for k := range a.groups {
		if k.contact == contactKey {
			keys = append(keys, k)
		}
	}
	slices.SortFunc(keys, func(x, y aggKey) int { return strings.Compare(x.object, y.object) })
	taken := make([][]any, len(keys))
	for i, k := range keys {
		taken[i] = a.groups[k]
		delete(a.groups, k)
	}
	a.mu.Unlock()
	out := make([]ContactFieldValue, 0, len(keys))
	for i, k := range keys {
		v, err := a.build(k, taken[i])
		if err != nil {
			return out, err
		}
		out = append(out, v)
	}
	return out, nil
}

// All removes and returns every gathered value, by contact then object.
func (a *Aggregator) All() ([]ContactFieldValue, error) {
	a.mu.Lock()
	keys := make([]aggKey, 0, len(a.groups))
	for k := range a.groups {
		keys = append(keys, k)
	}
	groups := a.groups
	a.groups = map[aggKey][]any{}
	a.mu.Unlock()
	slices.SortFunc(keys, func(x, y aggKey) int {
		if c := strings.Compare(x.contact, y.contact); c != 0 {
			return c
		}
		return strings.Compare(x.object, y.object)
	})
	out := make([]ContactFieldValue, 0, len(keys))
	for _, k := range keys {
		v, err := a.build(k, groups[k])
		if err != nil {
			return out, err
		}
		out = append(out, v)
	}
	return out, nil
}

func (a *Aggregator) build(k aggKey, entries []any) (ContactFieldValue, error) {
	o := a.m.Object(k.object)
	if o == nil {
		return ContactFieldValue{}, fmt.Errorf("%w %q", ErrUnknownObject, k.object)
	}
	b, rep, err := transform.JSONBlob(entries, transform.BlobOptions{MaxBytes: o.MaxBytes, KeepNewest: true})
	if err != nil {
		return ContactFieldValue{}, fmt.Errorf("mapping: %s for contact %s: %w", o.Key, k.contact, err)
	}
	return ContactFieldValue{Object: k.object, ContactKey: k.contact, FieldKey: o.Key, JSON: string(b), Report: rep}, nil
}
