package mapping

import (
	"context"
	"errors"
	"fmt"
	"iter"

	pbn "github.com/pbnhl/pbnhl/practicebynumbers"
)

// Drafting the links from the source (issue 16.5). A map — the proposer's
// draft or Default — knows the practice's fields but not its people,
// segments and offices: DraftLinks reads those from the source and writes
// them into the map's value tables, the one step `pbn2hl propose`, the
// demo and the fleet example all take before a map is reviewed:
//
//   - cohort membership as contact tags (Map.TagCohorts);
//   - providers and hygienists as people, by name (Map.NameStaff);
//   - for a practice of several offices, the other offices a patient was
//     seen at in a multi-value contact field (Map.CarryOffices).
//
// What it drafted is in the returned Links; Links.Notes says it in
// sentences for a person.

// Links is what DraftLinks read and drafted.
type Links struct {
	// Cohorts is how many cohorts the source lists; CohortsRefused how
	// many cohort rows its reader refused (those cohorts get no tag).
	Cohorts, CohortsRefused int
	// CohortsTagged: the map's patients contact object now tags each
	// cohort's members (false with cohorts: no contact object reads
	// patients, so the cohorts are not carried).
	CohortsTagged bool
	// FirstTag is the first cohort's tag, for an example.
	FirstTag string
	// Staff is how many staff the source lists; StaffRefused how many
	// staff rows its reader refused (their records keep the id without a
	// name).
	Staff, StaffRefused int
	// StaffFields is how many provider/hygienist name rules the map has.
	StaffFields int
	// Offices is how many offices the source lists; OfficesRefused how
	// many office rows its reader refused (the offices object's own read
	// lists them).
	Offices, OfficesRefused int
	// OfficesCarried: the map carries the other offices a patient was seen
	// at (a practice of several offices whose appointments the map reads).
	OfficesCarried bool
}

// DraftLinks reads the source's cohorts, staff and offices and drafts them
// into m: cohort tags, staff names and, for two offices or more, the other
// offices field. A row its reader refuses (*pbn.RowError) is counted and
// left out; any other read error stops it. A map these links do not apply
// to (no contact object reading patients, no appointment object with an
// office) is left as it is and said in Links. m must be approved again
// afterwards (it changes the map's content).
func DraftLinks(ctx context.Context, src pbn.Source, m *Map) (Links, error) {
	var l Links
	if src == nil || m == nil {
		return l, errors.New("mapping: draft links: no source or no map")
	}
	cohorts, refused, err := collectRows(src.Cohorts(ctx, pbn.ListOptions{}))
	if err != nil {
		return l, fmt.Errorf("mapping: read cohorts: %w", err)
	}
	l.Cohorts, l.CohortsRefused = len(cohorts), refused
	if len(cohorts) > 0 {
		switch err := m.TagCohorts(cohorts); {
		case errors.Is(err, ErrNoPatientContacts):
		case err != nil:
			return l, fmt.Errorf("mapping: cohort tags: %w", err)
		default:
			l.CohortsTagged = true
			l.FirstTag = CohortTag(cohorts[0])
		}
	}

	staff, refused, err := collectRows(src.Staff(ctx, pbn.ListOptions{}))
	if err != nil {
		return l, fmt.Errorf("mapping: read staff: %w", err)
	}
	l.Staff, l.StaffRefused = len(staff), refused
	l.StaffFields = m.NameStaff(staff)

	offices, refused, err := collectRows(src.Offices(ctx, pbn.ListOptions{}))
	if err != nil {
		return l, fmt.Errorf("mapping: read offices: %w", err)
	}
	l.Offices, l.OfficesRefused = len(offices), refused
	if len(offices) >= 2 {
		switch err := m.CarryOffices(offices); {
		case errors.Is(err, ErrNoPatientContacts), errors.Is(err, ErrNoAppointmentObjects), errors.Is(err, ErrNoOffices):
		case err != nil:
			return l, fmt.Errorf("mapping: other offices: %w", err)
		default:
			l.OfficesCarried = true
		}
	}
	return l, nil
}

// collectRows reads a source list, counting the rows its reader refused.
func collectRows[T any](seq iter.Seq2[T, error]) (out []T, refused int, err error) {
	for v, err := range seq {
		if _, ok := errors.AsType[*pbn.RowError](err); ok {
			refused++
			continue
		}
		if err != nil {
			return nil, refused, err
		}
		out = append(out, v)
	}
	return out, refused, nil
}

// Notes says what DraftLinks drafted, one sentence each, for a person
// reviewing the map (no patient data: cohort, staff and office names are
// the practice's own). Nothing is said of a link the source has nothing
// for.
func (l Links) Notes() []string {
	var out []string
	if l.CohortsRefused > 0 {
		out = append(out, fmt.Sprintf("%d cohort rows refused by the reader: those cohorts get no tag", l.CohortsRefused))
	}
	switch {
	case l.Cohorts > 0 && l.CohortsTagged:
		out = append(out, fmt.Sprintf("%d cohorts → contact tags (%q, …): the patients' tags rule; rename a tag in its values", l.Cohorts, l.FirstTag))
	case l.Cohorts > 0:
		out = append(out, fmt.Sprintf("note: %d cohorts are not carried: no contact object reads patients (the handover pack's cohorts.csv lists them)", l.Cohorts))
	}
	if l.StaffRefused > 0 {
		out = append(out, fmt.Sprintf("%d staff rows refused by the reader: their records keep the staff id without a name", l.StaffRefused))
	}
	if l.StaffFields > 0 {
		out = append(out, fmt.Sprintf("%d staff named on %d provider/hygienist fields (by id in the values of each; correct a name there)", l.Staff, l.StaffFields))
	}
	if l.OfficesCarried {
		out = append(out, fmt.Sprintf("%d offices: a contact's business is its own office; the other offices a patient was seen at go in %s (rename an option in its values)", l.Offices, OtherOfficesKey))
	}
	return out
}
