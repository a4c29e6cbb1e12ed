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
	// Elsewhere names the map objects that also write each entry as a
	// record of its own (Map.Elsewhere): where cut entries remain.
	Elsewhere []string
	// IsList: the object is a list (Object.List); List holds its distinct
	// values (empty: the field is cleared) and JSON is unused.
	IsList bool
	List   []string
}

// Problem is a warning when the cap forced entries out or strings shorter.
// Its reason says how many entries were cut and where they still are
// (Elsewhere) — or that they are nowhere else in HighLevel.
func (v ContactFieldValue) Problem() (Problem, bool) {
	if !v.Report.Truncated() {
		return Problem{}, false
	}
	where := "the cut part is in no other HighLevel record"
	if len(v.Elsewhere) > 0 {
		where = "the entries, cut or not, are also in HighLevel as " + strings.Join(v.Elsewhere, ", ")
	}
	return Problem{Object: v.Object, SourceKey: v.ContactKey, Field: v.FieldKey, Rule: "truncated", Severity: Warning,
		Reason: fmt.Sprintf("%d of %d entries kept (the oldest %d cut) and %d strings shortened to fit %d bytes; %s",
			v.Report.Kept, v.Report.Entries, v.Report.Dropped, v.Report.TruncatedStrings, v.Report.Bytes, where)}, true
}

// Elsewhere names the map's objects that write each record of contact_field
// object o's source entity as a record of its own (the kind table's
// record types: a note, task, message, media file, record...), with their target: where the
// entries o's cap cuts from the field are still reachable. Empty when the
// cap loses them from HighLevel.
func (m *Map) Elsewhere(o *Object) []string {
	var out []string
	for i := range m.Objects {
		x := &m.Objects[i]
		if x.Source != o.Source || x.Expand != nil || m.Off(x) {
			continue
		}
		// A kind that writes a HighLevel record per source record (the
		// kind table's record type).
		if s := specOf(x.Target); s.record == "" && !s.recordIsKey {
			continue
		}
		if k := m.HistoryKindOf(x); k != "" && m.HistoryAs(k) == AsByAge {
			out = append(out, fmt.Sprintf("%s (%s, the records dated within the history policy's last %d months)", x.Name, x.Target, m.HistoryPolicyOf(k).Months()))
		} else if len(x.Filters) > 0 {
			out = append(out, fmt.Sprintf("%s (%s, the records its filters keep)", x.Name, x.Target))
		} else {
			out = append(out, fmt.Sprintf("%s (%s)", x.Name, x.Target))
		}
	}
	return out
}

// CapText is what the review says of contact_field object o's cap: its
// size, which entries it keeps, and where the cut ones are.
func (m *Map) CapText(o *Object) string {
	n := o.MaxBytes
	if n == 0 {
		n = transform.DefaultBlobMaxBytes
	}
	s := fmt.Sprintf("The field holds at most %d bytes per contact: past that the newest entries are kept and the oldest cut (each cut is a warning in the run's report). ", n)
	if el := m.Elsewhere(o); len(el) > 0 {
		return s + "The entries, cut or not, are also in HighLevel as " + strings.Join(el, ", ") + "."
	}
	for _, k := range HistoryKinds() {
		if HistorySource(k) == o.Source {
			return s + "**The cut entries are in no other HighLevel record**: raise `max_bytes`, or write " + k + " as `both` in the map's history policy."
		}
	}
	return s + "**The cut entries are in no other HighLevel record**: raise `max_bytes` or map `" + o.Source + "` to notes as well."
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

// EntryBytes is about the room p's entry takes in its contact's JSON log
// (its JSON and a separating comma): what a preflight adds up per contact
// to tell, before a run, which logs the object's cap would cut.
func EntryBytes(p *Payload) int {
	entry := make(map[string]any, len(p.Fields)+len(p.Custom))
	for _, vs := range [][]Value{p.Fields, p.Custom} {
		for _, v := range vs {
			entry[v.Key] = entryValue(v)
		}
	}
	b, err := json.Marshal(entry)
	if err != nil {
		return 0
	}
	return len(b) + 1
}

// MaxLogBytes is contact_field object o's cap.
func (o *Object) MaxLogBytes() int {
	if o.MaxBytes > 0 {
		return o.MaxBytes
	}
	return transform.DefaultBlobMaxBytes
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
	return a.take(contactKey, "")
}

// TakeContact is Take for contact payload p: a list object's values
// leave out p's own business (the office its business link names), which
// HighLevel links already.
func (a *Aggregator) TakeContact(p *Payload) ([]ContactFieldValue, error) {
	own := ""
	if l, ok := p.Link(LinkBusiness); ok {
		own = l.Key
	}
	return a.take(p.SourceKey, own)
}

func (a *Aggregator) take(contactKey, own string) ([]ContactFieldValue, error) {
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
		v, err := a.build(k, taken[i], own)
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
		v, err := a.build(k, groups[k], "")
		if err != nil {
			return out, err
		}
		out = append(out, v)
	}
	return out, nil
}

func (a *Aggregator) build(k aggKey, entries []any, own string) (ContactFieldValue, error) {
	o := a.m.Object(k.object)
	if o == nil {
		return ContactFieldValue{}, fmt.Errorf("%w %q", ErrUnknownObject, k.object)
	}
	if o.List {
		return ContactFieldValue{Object: k.object, ContactKey: k.contact, FieldKey: o.Key, IsList: true,
			List: listValues(o, entries, own)}, nil
	}
	b, rep, err := transform.JSONBlob(entries, transform.BlobOptions{MaxBytes: o.MaxBytes, KeepNewest: true})
	if err != nil {
		return ContactFieldValue{}, fmt.Errorf("mapping: %s for contact %s: %w", o.Key, k.contact, err)
	}
	return ContactFieldValue{Object: k.object, ContactKey: k.contact, FieldKey: o.Key, JSON: string(b), Report: rep, Elsewhere: a.m.Elsewhere(o)}, nil
}

// AddWarning counts a warning that is about no record of its own (a
// contact field's cap cut entries: ContactFieldValue.Problem) under its
// object, without counting a record.
func (r *Report) AddWarning(pr Problem) {
	r.mu.Lock()
	defer r.mu.Unlock()
	t := r.tally(pr.Object)
	t.Rules[string(pr.Severity)+" "+pr.Field+" "+pr.Rule]++
	t.Warned++
	limit := r.MaxProblems
	if limit == 0 {
		limit = 10000
	}
	if len(r.warnings) < limit {
		r.warnings = append(r.warnings, pr)
	} else {
		r.dropped++
	}
}
