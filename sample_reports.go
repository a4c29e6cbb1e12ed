package pbnhl

import (
	"context"
	"fmt"
	"slices"
	"strings"

	"github.com/pbnhl/pbnhl/mapping"
	pbn "github.com/pbnhl/pbnhl/practicebynumbers"
)

// sampleSlice is what a sample loads. A map reading Practice by Numbers
// entities keeps patients by id with every record they own (patients); a
// map reading a practice system's reports as they are (pbn2hl propose
// -files) has no patient entity, so its slice is told per object: the
// source keys each report's rows load under (keys). An object absent
// from keys — offices, staff, carriers: rows no patient owns — loads
// whole, as reference records do in a PbN sample.
type sampleSlice struct {
	patients map[string]bool
	keys     map[string]map[string]bool
}

// keeps reports whether a record of o belongs to the slice.
func (s *sampleSlice) keeps(o *mapping.Object, rec mapping.Record) bool {
	if s.keys != nil {
		set, ok := s.keys[o.Name]
		return !ok || set[o.KeyOf(rec)]
	}
	if pbn.Entity(o.Source) == pbn.EntityPatients {
		id, _ := rec.Get("id")
		return s.patients[id]
	}
	if pbn.Entity(o.Source).PatientOwned() {
		id, _ := rec.Get("patientId")
		return s.patients[id]
	}
	return true
}

// readsReports reports whether the map reads any report file.
func (m *Migration) readsReports() bool {
	for i := range m.opts.Map.Objects {
		if pbn.FileEntity(pbn.Entity(m.opts.Map.Objects[i].Source)) {
			return true
		}
	}
	return false
}

// selectReportSample picks the slice of a map reading reports. The
// patients are the rows of the object the map writes as contacts; a row
// of another object belongs to the patient its lookup names — to the
// contacts' object, or to an object whose rows belong to patients (a
// procedure through its appointment), parents first as the map orders
// them. Patients are taken round-robin over the offices their business
// lookup names (in key order within one), each with every row they own,
// until the slice holds opts.Records rows (at most opts.MaxRecords), or
// exactly opts.Patients patients. Reading costs one pass over each report
// involved; memory holds each owned row's key and its patient's.
func (m *Migration) selectReportSample(ctx context.Context, opts SampleOptions) (*sampleSlice, SampleSelection, error) {
	order, err := m.opts.Map.Order()
	if err != nil {
		return nil, SampleSelection{}, err
	}
	var contacts *mapping.Object
	for _, o := range order {
		if o.Target == mapping.TargetContact {
			contacts = o
			break
		}
	}
	if contacts == nil {
		return nil, SampleSelection{}, fmt.Errorf("%w: no object of the map writes contacts, so there are no patients to sample; run knowingly without a sample (SkipSample, pbn2hl run -skip-sample; journaled)", ErrInvalidOptions)
	}
	owner := map[string]map[string]string{} // object → row key → patient key
	per := map[string]int{}                 // patient key → rows in the slice with them
	strata := map[string][]string{}
	var names []string
	var owned, whole []string // the reports patients own rows of, and the others, for the rule
	for _, o := range order {
		var links []mapping.Lookup
		if o != contacts {
			for _, l := range o.Lookups {
				if owner[l.Object] != nil {
					links = append(links, l)
				}
			}
			if len(links) == 0 {
				if !slices.Contains(whole, o.Source) {
					whole = append(whole, o.Source) // no patient owns its rows: loaded whole
				}
				continue
			}
		}
		rows, err := records(ctx, m.opts.Source, o.Source, pbn.ListOptions{})
		if err != nil {
			return nil, SampleSelection{}, err
		}
		own := map[string]string{}
		owner[o.Name] = own
		owned = append(owned, o.Source)
		for r, err := range rows {
			if err != nil {
				if isRowError(err) {
					continue // invalid: the load says so, the slice has no use for it
				}
				return nil, SampleSelection{}, fmt.Errorf("pbnhl: read %s: %w", o.Source, err)
			}
			key := o.KeyOf(r.rec)
			if key == "" {
				continue
			}
			if o == contacts {
				if _, dup := own[key]; dup {
					continue
				}
				own[key] = key
				per[key]++
				office := ""
				for _, l := range o.Lookups {
					if l.To == mapping.LinkBusiness {
						office, _ = r.rec.Get(l.From)
						break
					}
				}
				office = strings.TrimSpace(office)
				if _, ok := strata[office]; !ok {
					names = append(names, office)
				}
				strata[office] = append(strata[office], key)
				continue
			}
			for _, l := range links {
				v, _ := r.rec.Get(l.From)
				if p, ok := owner[l.Object][strings.TrimSpace(v)]; ok {
					own[key] = p
					per[p]++
					break
				}
			}
		}
	}
	slices.Sort(names)
	var patients []string
	for i := 0; ; i++ {
		added := false
		for _, n := range names {
			if i < len(strata[n]) {
				patients = append(patients, strata[n][i])
				added = true
			}
		}
		if !added {
			break
		}
	}
	sel := map[string]bool{}
	total := 0
	var rule, owns string
	if len(owned) > 1 {
		owns = ", each with its rows in " + strings.Join(owned[1:], ", ")
	}
	if opts.Patients > 0 {
		for _, p := range patients[:min(opts.Patients, len(patients))] {
			sel[p] = true
			total += per[p]
		}
		rule = fmt.Sprintf("%d patients asked (rows of %s), spread over offices%s", opts.Patients, contacts.Source, owns)
	} else {
		if opts.Records <= 0 {
			opts.Records = DefaultSampleRecords
		}
		if opts.MaxRecords < opts.Records {
			opts.MaxRecords = opts.Records + opts.Records/2
		}
		for _, p := range patients {
			if total >= opts.Records {
				break
			}
			if total+per[p] > opts.MaxRecords {
				continue // a long history: the next patient fits better
			}
			sel[p] = true
			total += per[p]
		}
		rule = fmt.Sprintf("patients (rows of %s) spread over offices%s, until the slice holds %d rows (at most %d)", contacts.Source, owns, opts.Records, opts.MaxRecords)
	}
	if len(whole) > 0 {
		// Said, so a reviewer sees a report that should have been sliced
		// (a lookup missing from the map) before approving.
		rule += "; loaded whole, as no lookup leads from their rows to a patient: " + strings.Join(whole, ", ")
	}
	keys := make(map[string]map[string]bool, len(owner))
	for obj, own := range owner {
		set := map[string]bool{}
		for k, p := range own {
			if sel[p] {
				set[k] = true
			}
		}
		keys[obj] = set
	}
	how := SampleSelection{Patients: len(sel), Records: total, Rule: rule}
	if opts.Patients > 0 {
		how.Records = 0
	}
	return &sampleSlice{keys: keys}, how, nil
}
