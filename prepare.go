package pbnhl

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/pbnhl/pbnhl/highlevel"
	"github.com/pbnhl/pbnhl/mapping"
	pbn "github.com/pbnhl/pbnhl/practicebynumbers"
)

// prepared is what every data phase needs from the location before the
// first record: field ids, pipelines, association ids and owners. Reading
// it costs a handful of calls, once per Migration.
type prepared struct {
	digest  string
	plan    *mapping.SchemaPlan
	diff    *mapping.SchemaDiff
	inputs  mapping.Inputs
	assoc   map[string]string // association key → id
	owners  *mapping.Owners
	applier *mapping.Applier
	order   []*mapping.Object
	// extField maps an object type ("contact", "opportunity", a custom
	// object key) to the external-id field: a contact/opportunity field id,
	// or a record property's short key.
	extField map[string]string
	// schemaAPI is what the schema diff read the location through.
	schemaAPI *mapping.HighLevelSchema
	// relatedChanged, in a delta's prepareRun, holds per related object
	// the source keys of its records changed since the delta's lower bound
	// (readRelated): records whose related rules read them are written
	// again (relatedRefresh).
	relatedChanged map[string]map[string]bool
	// refuseDupOpps: the location refuses a second opportunity for a
	// contact in one pipeline (its settings, read by the opportunities'
	// prepare); false when unknown.
	refuseDupOpps bool
}

// prepare reads the location once; later phases reuse it.
func (m *Migration) prepare(ctx context.Context) (*prepared, error) {
	digest, err := m.verifyMap()
	if err != nil {
		return nil, err
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.prep != nil && m.prep.digest == digest {
		return m.prep, nil
	}
	p := &prepared{digest: digest, assoc: map[string]string{}, extField: map[string]string{}}
	if p.plan, err = mapping.DeriveSchema(m.opts.Map); err != nil {
		return nil, fmt.Errorf("pbnhl: schema plan: %w", err)
	}
	api := mapping.NewHighLevelSchema(m.opts.Client)
	if p.diff, err = p.plan.Diff(ctx, api); err != nil {
		return nil, fmt.Errorf("pbnhl: schema diff: %w", err)
	}
	if !p.diff.Ready() {
		return nil, schemaNotReady(p.diff)
	}
	p.schemaAPI = api // its pipeline list, stage ids included, serves the opportunities' setup
	p.assoc = p.diff.AssociationIDs()
	p.inputs.FieldIDs = p.diff.FieldIDs()
	for _, t := range targets { // each its own: calendars, pipelines, owners
		if err := t.prepare(ctx, m, p); err != nil {
			return nil, err
		}
	}
	aopts := mapping.ApplierOptions{Now: m.now()} // a by-age history window counts from the run's time
	if p.owners != nil {
		aopts.Owners = p.owners
	}
	if p.applier, err = mapping.NewApplier(m.opts.Map, aopts); err != nil {
		return nil, fmt.Errorf("pbnhl: %w", err)
	}
	if p.order, err = m.opts.Map.Order(); err != nil {
		return nil, fmt.Errorf("pbnhl: %w", err)
	}
	for _, o := range p.order {
		id, err := targetOf(o).externalField(&p.inputs, o)
		if err != nil {
			return nil, err
		}
		if id != "" {
			p.extField[o.RecordType()] = id
		}
	}
	m.prep = p
	return p, nil
}

// prepareRun is prepare for one data phase: the location's state, with an
// applier whose related rules (mapping.Related) read the source as it is
// now. The index is read once per phase and never kept with the prepared
// state, which outlives a run: a delta must see a plan changed since, and
// learns (since: its per-entity lower bounds) which related records did.
func (m *Migration) prepareRun(ctx context.Context, since map[string]time.Time) (*prepared, error) {
	p, err := m.prepare(ctx)
	if err != nil {
		return nil, err
	}
	rv, changed, err := m.readRelated(ctx, m.opts.Map, nil, since) // related.go
	if err != nil || rv == nil {
		return p, err
	}
	run := *p
	run.applier = p.applier.WithRelated(rv)
	run.relatedChanged = changed
	return &run, nil
}

// usesOwners reports whether the map resolves staff to users.
func (m *Migration) usesOwners() *mapping.Object {
	for i := range m.opts.Map.Objects {
		if targetOf(&m.opts.Map.Objects[i]).role() == resolvesRecords {
			return &m.opts.Map.Objects[i]
		}
	}
	return nil
}

func (m *Migration) resolveOwners(ctx context.Context) (*mapping.Owners, error) {
	uo := m.usesOwners()
	if uo == nil {
		return nil, nil
	}
	var staff []pbn.Staff
	for s, err := range m.opts.Source.Staff(ctx, pbn.ListOptions{}) {
		if err != nil {
			return nil, fmt.Errorf("pbnhl: read staff: %w", err)
		}
		staff = append(staff, s)
	}
	oo := mapping.OwnerOptions{Table: uo.Owners} // the map's hand-made staff → user table wins
	if strings.Contains(m.opts.FallbackOwner, "@") {
		oo.FallbackEmail = m.opts.FallbackOwner
	} else {
		oo.FallbackUserID = m.opts.FallbackOwner
	}
	dir := mapping.HighLevelUsers{Client: m.opts.Client, CompanyID: m.opts.CompanyID}
	owners, err := mapping.ResolveOwnersFrom(ctx, dir, mapping.StaffMembers(staff), oo)
	if err != nil && m.opts.CompanyID == "" {
		// HighLevel lists a location's users only under its agency: say
		// what to give instead of the client's "company id is required".
		return nil, fmt.Errorf("pbnhl: the map gives %s an owner (staff → HighLevel user), and HighLevel lists users by agency: set Options.CompanyID (pbn2hl -company) to the location's agency id: %w", uo.Name, err)
	}
	if err != nil {
		return nil, fmt.Errorf("pbnhl: owner resolution: %w", err)
	}
	return owners, nil
}

// hlStatus returns the HTTP status of a HighLevel error, 0 without one.
func hlStatus(err error) int {
	var ae *highlevel.APIError
	if asAPIError(err, &ae) {
		return ae.StatusCode
	}
	return 0
}
