package pbnhl

import (
	"context"
	"errors"
	"fmt"
	"hash/maphash"
	"strings"

	"github.com/pbnhl/pbnhl/highlevel"
)

// locationNeeds collects, while Preflight validates the records, what the
// run will ask of the location's duplicate rules: several opportunities
// for one contact in one pipeline, and contacts sharing an e-mail address
// or phone number (families); each target's need method feeds it. Values
// are kept only as 64-bit hashes, in memory, and never reported.
type locationNeeds struct {
	seed maphash.Seed
	// opportunities: contact+pipeline → count, and the objects involved.
	pairs      map[uint64]int
	extraOpps  int // opportunities beyond the first of their contact+pipeline
	oppContact map[uint64]bool
	oppObjects []string
	// contacts: e-mail / phone hashes seen, contacts sharing one.
	seen          map[uint64]bool
	sharedContact int
	contactObjs   []string
}

func newLocationNeeds() *locationNeeds {
	return &locationNeeds{seed: maphash.MakeSeed(), pairs: map[uint64]int{}, oppContact: map[uint64]bool{}, seen: map[uint64]bool{}}
}

func (n *locationNeeds) hash(parts ...string) uint64 {
	var h maphash.Hash
	h.SetSeed(n.seed)
	for _, p := range parts {
		h.WriteString(p)
		h.WriteByte(0)
	}
	return h.Sum64()
}

func addName(names []string, n string) []string {
	for _, x := range names {
		if x == n {
			return names
		}
	}
	return append(names, n)
}

// checkLocation reads the location's settings and blocks on the ones the
// records contradict, saying what to change in HighLevel or in the map.
// The custom fields, custom objects, associations and pipelines the map
// needs are checked by the schema diff. A token that may not read the
// location (scope locations.readonly) leaves a warning naming what to
// check by hand.
// loc and err are the location as Preflight read it.
func (m *Migration) checkLocation(ctx context.Context, r *PreflightReport, n *locationNeeds, loc *highlevel.Location, err error) error {
	if err != nil {
		var ae *highlevel.APIError
		if !errors.As(err, &ae) || ctx.Err() != nil {
			return fmt.Errorf("pbnhl: read the location's settings: %w", err)
		}
		why := fmt.Sprintf("HighLevel answered HTTP %d", ae.StatusCode)
		if ae.StatusCode == 401 || ae.StatusCode == 403 {
			why += "; the token needs the locations.readonly scope"
		}
		r.Warnings = append(r.Warnings, fmt.Sprintf("the location's settings could not be read (%s): "+
			"check by hand that Allow Duplicate Contact is on if contacts share e-mails or phones (%d here) and Allow Duplicate Opportunity is on "+
			"if a contact has several opportunities in one pipeline (%d here)", why, n.sharedContact, n.extraOpps))
		return nil
	}
	s := loc.Settings
	r.LocationSettings = &s
	if n.extraOpps > 0 && !s.AllowDuplicateOpportunity {
		r.block(Blocker{Kind: BlockLocation, Object: strings.Join(n.oppObjects, ", "),
			Reason: fmt.Sprintf("the location does not allow duplicate opportunities, and %d contacts have several %s in one pipeline: "+
				"HighLevel would refuse up to %d opportunities (\"Can not create duplicate opportunity for the contact\")",
				len(n.oppContact), strings.Join(n.oppObjects, ", "), n.extraOpps),
			Fix: "in HighLevel turn on Settings → Business Profile → Allow Duplicate Opportunity; or adapt the map so each contact has " +
				"one opportunity per pipeline (map only the current plan of each patient, or merge a patient's plans into one opportunity)"})
	}
	if n.sharedContact > 0 && !s.AllowDuplicateContact {
		r.block(Blocker{Kind: BlockLocation, Object: strings.Join(n.contactObjs, ", "),
			Reason: fmt.Sprintf("the location does not allow duplicate contacts, and %d %s share an e-mail address or phone number with an earlier one "+
				"(families): HighLevel would refuse them (\"This location does not allow duplicated contacts.\"; it matches on e-mail or phone, "+
				"in an order the location sets and the API does not report)", n.sharedContact, strings.Join(n.contactObjs, ", ")),
			Fix: "in HighLevel turn on Settings → Business Profile → Allow Duplicate Contact (identity is kept by the external id field, " +
				"not by matching); or give the map's contact object a merge duplicate policy on email and phone (family members then share one contact)"})
	}
	return nil
}
