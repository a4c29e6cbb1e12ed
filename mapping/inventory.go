package mapping

import (
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"iter"
	"reflect"
	"slices"
	"strings"

	pbn "github.com/pbnhl/pbnhl/practicebynumbers"
)

// SourceInventory describes a source for the proposer: its entities, their
// fields and a few sample values per field. Samples are PHI: they are used to
// sniff types and never copied into a proposal (pick-list options excepted,
// when a field has few distinct short values).
type SourceInventory struct {
	Entities []EntityInventory
	// Properties is the source's custom property catalogue: fields named
	// custom.<key> take the declared type instead of a sniffed one.
	Properties []pbn.CustomPropertyDefinition
}

// EntityInventory is one entity of a source inventory.
type EntityInventory struct {
	Name   string
	Count  int64
	Fields []FieldInventory
}

// FieldInventory is one field with sample values (blank ones included, so
// the fill rate can be judged).
type FieldInventory struct {
	Name    string
	Samples []string
}

// Entity returns the named entity, or nil.
func (inv *SourceInventory) Entity(name string) *EntityInventory {
	for i := range inv.Entities {
		if inv.Entities[i].Name == name {
			return &inv.Entities[i]
		}
	}
	return nil
}

// InventoryOptions tune inventory sampling.
type InventoryOptions struct {
	// Samples caps the sample values kept per field; 0 means 50.
	Samples int
}

func (o InventoryOptions) samples() int {
	if o.Samples <= 0 {
		return 50
	}
	return o.Samples
}

// SampleRecords builds an entity inventory from records (for example typed
// PbN models through Struct). fields lists the field names to sample; nil
// means every field FieldNames finds in the sampled records (custom
// properties vary from record to record, so their union is taken).
func SampleRecords(name string, recs iter.Seq[Record], fields []string, opts InventoryOptions) EntityInventory {
	e := EntityInventory{Name: name}
	idx := map[string]int{}
	n := opts.samples()
	add := func(f string, sampled int) int {
		i, ok := idx[f]
		if !ok {
			i = len(e.Fields)
			idx[f] = i
			// Records sampled before the field appeared did not have it.
			e.Fields = append(e.Fields, FieldInventory{Name: f, Samples: make([]string, sampled)})
		}
		return i
	}
	for r := range recs {
		e.Count++
		if int(e.Count) > n {
			continue
		}
		names := fields
		if names == nil {
			names = FieldNames(r)
		}
		sampled := int(e.Count) - 1
		for _, f := range names {
			i := add(f, sampled)
			v, _ := r.Get(f)
			e.Fields[i].Samples = append(e.Fields[i].Samples, v)
		}
		for i := range e.Fields { // fields this record lacks
			if len(e.Fields[i].Samples) == sampled {
				e.Fields[i].Samples = append(e.Fields[i].Samples, "")
			}
		}
	}
	return e
}

// FieldNames lists a record's field names when the record can tell: a Row's
// keys (sorted) or a Struct's fields in declaration order (custom maps as
// their present keys). Other records give nil.
func FieldNames(r Record) []string {
	switch r := r.(type) {
	case Row:
		return slices.Sorted(func(yield func(string) bool) {
			for k := range r {
				if !yield(k) {
					return
				}
			}
		})
	case structRecord:
		return r.names()
	}
	return nil
}

func (s structRecord) names() []string {
	type named struct {
		name  string
		index []int
	}
	var all []named
	for name, a := range s.acc {
		if a.mapKey {
			v, err := s.v.FieldByIndexErr(a.index)
			if err != nil || v.IsNil() {
				continue
			}
			for _, k := range v.MapKeys() {
				all = append(all, named{name + "." + k.String(), append(slices.Clone(a.index), 1<<20)})
			}
			continue
		}
		if v, err := s.v.FieldByIndexErr(a.index); err == nil && v.Kind() == reflect.Struct && !leaf(v.Type()) {
			continue // reached through its inner fields
		}
		all = append(all, named{name, a.index})
	}
	slices.SortFunc(all, func(a, b named) int {
		if c := slices.Compare(a.index, b.index); c != 0 {
			return c
		}
		return strings.Compare(a.name, b.name)
	})
	out := make([]string, len(all))
	for i, n := range all {
		out[i] = n.name
	}
	return out
}

// maxCSVSampleRows bounds how much of a CSV the inventory reads.
const maxCSVSampleRows = 10000

// SampleCSV builds an entity inventory from a CSV stream with a header row:
// header names as written, the first samples rows as samples, and the rows
// counted up to maxCSVSampleRows (Count is a lower bound beyond that).
func SampleCSV(name string, r io.Reader, opts InventoryOptions) (EntityInventory, error) {
	cr := csv.NewReader(r)
	cr.FieldsPerRecord = -1
	cr.LazyQuotes = true
	cr.ReuseRecord = true
	head, err := cr.Read()
	if err != nil {
		return EntityInventory{}, fmt.Errorf("mapping: read CSV header of %s: %w", name, err)
	}
	e := EntityInventory{Name: name}
	for i, h := range head {
		h = strings.TrimSpace(strings.TrimPrefix(h, "\ufeff"))
		if h == "" {
			h = fmt.Sprintf("column_%d", i+1)
		}
		e.Fields = append(e.Fields, FieldInventory{Name: h})
	}
	n := opts.samples()
	for e.Count < maxCSVSampleRows {
		rec, err := cr.Read()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			var pe *csv.ParseError
			if errors.As(err, &pe) {
				return e, fmt.Errorf("mapping: %s line %d: malformed CSV", name, pe.Line)
			}
			return e, fmt.Errorf("mapping: read %s: %w", name, err)
		}
		e.Count++
		if int(e.Count) > n {
			continue
		}
		for i := range e.Fields {
			v := ""
			if i < len(rec) {
				v = rec[i]
			}
			e.Fields[i].Samples = append(e.Fields[i].Samples, v)
		}
	}
	return e, nil
}
