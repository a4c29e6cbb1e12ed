package pbnhl

import (
	"context"

	"github.com/pbnhl/pbnhl/mapping"
)

// A target is one kind of HighLevel record a map object writes (contact,
// business, custom object record, opportunity, note, task), or one the
// phases must know about without writing it (users, contact fields). It
// is the one place that knows, for its kind: the load group, how a valid
// payload is written (input from mapping.Inputs, create, update, look up
// by identity after an unknown outcome), what a record costs in calls,
// what it asks of the location's settings, its external-id field and how
// Adopt finds it. The ledger record type is mapping.Object.RecordType;
// reconcile counts by it.
//
// Phases never switch on a map object's target: they ask targetOf.
// Adding a target is one file implementing target (embed noTarget for
// what it does not do) plus one line in targets.
type target interface {
	// kind is the map target kind this target serves.
	kind() mapping.TargetKind
	// role says whether its records are written, resolved or folded.
	role() targetRole
	// group is the load group its objects run in (loadGroups), or
	// loadNone for objects no phase loads on their own.
	group() loadGroup
	// write writes one valid payload of o: builds its input, then creates
	// it through ph.put (or, in a delta, updates it). Only called for
	// role writesRecords.
	write(ctx context.Context, ph *phase, o *mapping.Object, tr *tracker, j *job) error
	// tally adds what writing one valid payload costs to a preflight's
	// estimate.
	tally(p *mapping.Payload, t *callTally)
	// need records what one valid payload asks of the location's settings
	// (duplicate contacts, duplicate opportunities).
	need(n *locationNeeds, p *mapping.Payload)
	// externalField is the external-id field of o's records as the
	// lookups use it (a field id, or a record property key); "" when the
	// target has none or o names none.
	externalField(in *mapping.Inputs, o *mapping.Object) (string, error)
	// adopt adds to sc every record of o's kind that carries this
	// migration's identity in the location.
	adopt(ctx context.Context, sc *adoptScan, o *mapping.Object) error
}

// targets is the registry: one line per target.
var targets = []target{
	businessTarget{},
	userTarget{},
	contactTarget{},
	contactFieldTarget{},
	recordTarget{},
	opportunityTarget{},
	noteTarget{},
	taskTarget{},
}

// targetRole is what becomes of an object's valid records.
type targetRole int

const (
	// writesRecords: each valid record is written as a HighLevel record.
	writesRecords targetRole = iota
	// resolvesRecords: each record resolves to something that exists
	// (staff to users); nothing is written.
	resolvesRecords
	// foldsRecords: records fold into their contact's custom field and are
	// written by the contact's own call.
	foldsRecords
)

// loadGroup orders the load: businesses (and users) first, then contacts,
// then — after the business links — custom object records,
// opportunities, and notes and tasks. Map.Order's parents-first order is
// kept inside each group.
type loadGroup int

const (
	loadNone loadGroup = iota - 1
	loadBusinesses
	loadContacts
	loadRecords
	loadOpportunities
	loadNotes
	loadGroups // the number of groups
)

var byKind = func() map[mapping.TargetKind]target {
	m := make(map[mapping.TargetKind]target, len(targets))
	for _, t := range targets {
		m[t.kind()] = t
	}
	return m
}()

// targetOf is o's target. A map the mapping package validated names only
// registered kinds; anything else is treated as a target that writes
// nothing and is loaded by no phase.
func targetOf(o *mapping.Object) target {
	if t, ok := byKind[o.Target]; ok {
		return t
	}
	return noTarget{}
}

// writes reports whether o's valid records are written to HighLevel.
func writes(o *mapping.Object) bool { return targetOf(o).role() == writesRecords }

// callTally is what a preflight adds up for the valid records still to
// write: the calls they cost and, per business key, the contacts linked to
// it (one bulk link call per business and 100 contacts).
type callTally struct {
	calls       int64
	perBusiness map[string]int64
}

// noTarget is the zero target: it writes nothing, costs nothing, needs
// nothing and has no identity to adopt. Targets embed it for what they do
// not do.
type noTarget struct{}

func (noTarget) kind() mapping.TargetKind { return "" }
func (noTarget) role() targetRole         { return resolvesRecords }
func (noTarget) group() loadGroup         { return loadNone }
func (noTarget) write(context.Context, *phase, *mapping.Object, *tracker, *job) error {
	return nil
}
func (noTarget) tally(*mapping.Payload, *callTally)    {}
func (noTarget) need(*locationNeeds, *mapping.Payload) {}
func (noTarget) externalField(*mapping.Inputs, *mapping.Object) (string, error) {
	return "", nil
}
func (noTarget) adopt(context.Context, *adoptScan, *mapping.Object) error { return nil }

// userTarget resolves staff to existing HighLevel users (owners); nothing
// is created. Its objects load with the businesses, so owners are known
// before any contact.
type userTarget struct{ noTarget }

func (userTarget) kind() mapping.TargetKind { return mapping.TargetUser }
func (userTarget) group() loadGroup         { return loadBusinesses }

// contactFieldTarget folds records (communication log, forms) into a JSON
// custom field of their contact: the phase spools them before contacts
// are written (phase.aggregate), and contactTarget sends them.
type contactFieldTarget struct{ noTarget }

func (contactFieldTarget) kind() mapping.TargetKind { return mapping.TargetContactField }
func (contactFieldTarget) role() targetRole         { return foldsRecords }
