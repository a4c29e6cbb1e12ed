package mapping

import (
	"hash/maphash"
	"strings"
	"sync"

	pbn "github.com/pbnhl/pbnhl/practicebynumbers"
)

// ValidatorOptions tune NewValidator.
type ValidatorOptions struct {
	// Known reports whether a referenced record exists beyond what this
	// validator has seen, typically in the id map of an earlier run (a delta
	// run sees appointments of patients migrated last week). Nil means only
	// records checked by this validator count.
	Known func(object, sourceKey string) bool
}

// Validator adds the cross-record checks to payloads: duplicates inside the
// source (per the object's duplicate policy) and references to records that
// are not migrated. Feed it parents before children (offices, staff, patients,
// then the rest), as the migration order does. It remembers the records it
// accepted only for objects that some object's lookups refer to (parents:
// offices, staff, patients...), as a 64-bit hash of the source key, never
// for records nothing can refer to (notes, tasks, messages, procedures), and
// a 64-bit hash per duplicate key of objects with a duplicate policy: its
// memory grows with the number of parents, by about 16 bytes each, not with
// the practice's history. An object reading a practice system's report as
// it is (practicebynumbers.FileEntity) is the exception: no contract makes
// a report's keys unique, so the hash of each of its keys is kept too, and a
// record repeating an earlier one's key is invalid (RuleRepeatedKey) rather
// than taken for it by the run. Safe for concurrent use.
type Validator struct {
	m     *Map
	known func(object, key string) bool
	seed  maphash.Seed
	// parents are the objects a lookup refers to: the only ones exists is
	// ever asked about, so the only ones whose accepted keys are kept.
	parents map[string]bool

	// reports are the objects that read a report file as it is
	// (pbn.FileEntity): no contract makes their keys unique, so every
	// key is remembered to find one repeated.
	reports map[string]bool

	mu    sync.Mutex
	seen  map[string]map[uint64]struct{}
	dups  map[uint64]string
	keyed map[string]map[uint64]struct{} // reports' keys so far
}

// NewValidator returns a validator for the map's objects.
func NewValidator(m *Map, opts ValidatorOptions) *Validator {
	parents, reports := map[string]bool{}, map[string]bool{}
	for i := range m.Objects {
		for _, l := range m.Objects[i].Lookups {
			parents[l.Object] = true
		}
		if o := &m.Objects[i]; pbn.FileEntity(pbn.Entity(o.Source)) && o.Expand == nil {
			reports[o.Name] = true
		}
	}
	return &Validator{
		m:       m,
		known:   opts.Known,
		seed:    maphash.MakeSeed(),
		parents: parents,
		reports: reports,
		seen:    map[string]map[uint64]struct{}{},
		dups:    map[uint64]string{},
		keyed:   map[string]map[uint64]struct{}{},
	}
}

// keyHash is the 64-bit hash seen keeps of a source key: a false "exists"
// needs two of a practice's keys to collide, about 1 in 10^10 at 500,000
// parents.
func (v *Validator) keyHash(key string) uint64 { return maphash.String(v.seed, key) }

// Check adds duplicate and reference problems to p and, when p is still
// valid, remembers it so later records can refer to it. Skipped payloads are
// left alone.
func (v *Validator) Check(p *Payload) {
	if p.Skipped != "" {
		return
	}
	o := v.m.Object(p.Object)
	v.mu.Lock()
	defer v.mu.Unlock()
	if p.Valid() && o != nil && v.reports[o.Name] && p.SourceKey != "" {
		v.checkRepeatedKey(o, p)
	}
	if p.Valid() && o != nil && o.Duplicates != nil {
		v.checkDuplicates(o, p)
	}
	kept := p.Links[:0]
	for _, l := range p.Links {
		if v.exists(l.Object, l.Key) {
			kept = append(kept, l)
			continue
		}
		if l.Required {
			p.problem(l.To, RuleReference, "refers to "+l.Object+" "+l.Key+", which is not migrated (missing, filtered out or invalid)", Invalid)
			kept = append(kept, l)
			continue
		}
		p.problem(l.To, RuleReference, "refers to "+l.Object+" "+l.Key+", which is not migrated; the link is left out", Warning)
	}
	p.Links = kept
	if p.Valid() && p.SourceKey != "" && v.parents[p.Object] {
		s := v.seen[p.Object]
		if s == nil {
			s = map[uint64]struct{}{}
			v.seen[p.Object] = s
		}
		s[v.keyHash(p.SourceKey)] = struct{}{}
	}
}

func (v *Validator) exists(object, key string) bool {
	if _, ok := v.seen[object][v.keyHash(key)]; ok {
		return true
	}
	return v.known != nil && v.known(object, key)
}

// checkRepeatedKey refuses a report's record whose source key an earlier
// record of the object had: a report without an id column keyed by a
// column that repeats (a date, a patient) would have the run take the
// second row for the first and drop it. The reason names the column, never
// the value.
func (v *Validator) checkRepeatedKey(o *Object, p *Payload) {
	s := v.keyed[o.Name]
	if s == nil {
		s = map[uint64]struct{}{}
		v.keyed[o.Name] = s
	}
	h := v.keyHash(p.SourceKey)
	if _, dup := s[h]; !dup {
		s[h] = struct{}{}
		return
	}
	p.problem(o.SourceKey, RuleRepeatedKey, "its source key (column "+o.SourceKey+") is an earlier "+o.Name+
		" record's: the run would take it for that record; choose a source_key column whose value is one record's only", Invalid)
}

func (v *Validator) checkDuplicates(o *Object, p *Payload) {
	var h maphash.Hash
	for i, k := range o.Duplicates.Keys {
		h.SetSeed(v.seed)
		h.WriteString(o.Name)
		h.WriteByte(byte(i))
		complete := true
		for part := range strings.SplitSeq(k, "+") {
			val, ok := p.Field(strings.TrimSpace(part))
			text := strings.TrimSpace(val.Text)
			if !ok || text == "" {
				complete = false
				break
			}
			h.WriteByte(0)
			h.WriteString(strings.ToLower(text))
		}
		if !complete {
			continue
		}
		sum := h.Sum64()
		first, dup := v.dups[sum]
		if !dup {
			v.dups[sum] = p.SourceKey
			continue
		}
		if first == p.SourceKey {
			continue
		}
		reason := "same " + strings.ReplaceAll(k, "+", ", ") + " as " + o.Name + " " + first
		switch o.Duplicates.Policy {
		case DuplicateMerge:
			p.DuplicateOf = first
			p.problem(k, RuleDuplicate, reason+"; merged into it", Warning)
		case DuplicateKeep:
			p.problem(k, RuleDuplicate, reason+"; kept as a separate record", Warning)
		default:
			p.problem(k, RuleDuplicate, reason+"; held back for review", Invalid)
		}
		return
	}
}
