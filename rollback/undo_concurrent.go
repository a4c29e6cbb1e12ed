package rollback

import (
	"context"
	"sync"
	"sync/atomic"

	"golang.org/x/sync/errgroup"
)

// Tiers of a concurrent Undo, run one after the other: a tier starts only
// when every compensation of the one before it has finished, so children
// are gone before their parents are touched.
const (
	tierLinks      = iota // links and relations, before the records they join
	tierChildren          // notes, tasks, opportunities, custom object records
	tierContacts          // contacts, once nothing hangs off them
	tierBusinesses        // businesses, once their contacts are gone
	tierSchema            // schema elements, last and one at a time
	tierCount
)

// tierOf places a step in its tier. Object types this package does not
// name are treated as children of contacts: HighLevel's only parents of
// migrated data are contacts and businesses.
func tierOf(st *step) int {
	switch {
	case st.rep.Op == OpSchema:
		return tierSchema
	case st.rep.Op == OpLink || st.rep.Op == OpUnlink, linkKinds[st.rep.ObjectType] != nil:
		return tierLinks
	case st.rep.ObjectType == TypeContact:
		return tierContacts
	case st.rep.ObjectType == TypeBusiness:
		return tierBusinesses
	}
	return tierChildren
}

// unitKey names what a step acts on, so that steps on the same thing run
// in plan order on one worker. A link's key is the record it hangs from
// (a contact has one business link: moving it twice must unwind in
// reverse). An empty key means the step shares nothing with any other.
func unitKey(st *step) string {
	r := st.comp.Ref
	if tierOf(st) == tierLinks {
		typ := r.ObjectType
		if k := linkKinds[typ]; k != nil && k.unit != "" {
			typ = k.unit // a contact's tag calls unwind in plan order
		}
		if st.rep.TargetID != "" {
			return typ + "\x00" + st.rep.TargetID
		}
		if r.ID != "" {
			return r.ObjectType + "\x00" + r.ID
		}
		return ""
	}
	if r.ID == "" {
		return ""
	}
	return r.ObjectType + "\x00" + r.ID
}

// schedule cuts the plan into tiers of units: a unit is a list of step
// indexes that run in order on one worker; the units of a tier run
// concurrently. With concurrency 1 (or less) it is one tier of one unit
// holding the whole plan in reverse journal order: Undo's sequential
// behaviour exactly.
func schedule(p *undoPlan, concurrency int) [][][]int {
	if concurrency <= 1 {
		all := make([]int, len(p.steps))
		for i := range all {
			all[i] = i
		}
		return [][][]int{{all}}
	}
	tiers := make([][][]int, tierCount)
	index := make([]map[string]int, tierCount) // unit key → unit in its tier
	for i, st := range p.steps {
		t := tierOf(st)
		if t == tierSchema {
			// Schema elements depend on each other (fields in folders,
			// associations on objects) and are few: one unit, reverse
			// journal order.
			if len(tiers[t]) == 0 {
				tiers[t] = [][]int{nil}
			}
			tiers[t][0] = append(tiers[t][0], i)
			continue
		}
		k := unitKey(st)
		if k == "" {
			tiers[t] = append(tiers[t], []int{i})
			continue
		}
		if index[t] == nil {
			index[t] = map[string]int{}
		}
		if u, ok := index[t][k]; ok {
			tiers[t][u] = append(tiers[t][u], i)
			continue
		}
		index[t][k] = len(tiers[t])
		tiers[t] = append(tiers[t], []int{i})
	}
	return tiers
}

// undoExec runs the steps of a plan and remembers which were decided (and
// so belong in the report).
type undoExec struct {
	l    *Ledger
	t    Target
	run  *Run // nil for a dry run
	p    *undoPlan
	opts UndoOptions

	decided []bool // by step index; each written by the one worker that ran the step

	callbackMu sync.Mutex // OnCompensation is never called twice at once
}

// execute runs the tiers in order, each on min(concurrency, units)
// workers. It stops at the first ledger error or when ctx ends: workers
// take no new step and the next tier does not start. Target failures do
// not stop it; they are recorded in their compensations.
func (x *undoExec) execute(ctx context.Context, tiers [][][]int) error {
	workers := max(x.opts.Concurrency, 1)
	for _, units := range tiers {
		if len(units) == 0 {
			continue
		}
		if err := ctx.Err(); err != nil {
			return err
		}
		if err := x.tier(ctx, units, min(workers, len(units))); err != nil {
			return err
		}
	}
	return nil
}

func (x *undoExec) tier(ctx context.Context, units [][]int, workers int) error {
	g, gctx := errgroup.WithContext(ctx)
	var next atomic.Int64
	for range workers {
		g.Go(func() error {
			for {
				u := int(next.Add(1)) - 1
				if u >= len(units) {
					return nil
				}
				for _, i := range units[u] {
					if err := gctx.Err(); err != nil {
						return err
					}
					if err := x.step(gctx, i); err != nil {
						return err
					}
				}
			}
		})
	}
	err := g.Wait()
	if err != nil && ctx.Err() != nil {
		return ctx.Err() // the caller's cancellation, not the group's echo of it
	}
	return err
}

// step decides and, unless a dry run, executes the plan's i-th
// compensation. It returns an error only when the ledger fails or ctx
// ends before the step is decided.
func (x *undoExec) step(ctx context.Context, i int) error {
	l, st := x.l, x.p.steps[i]
	c := st.comp
	if c.State == StatePlanned && c.Action == ActionRestore {
		if err := l.loadRestore(ctx, st); err != nil {
			return err
		}
	}
	if c.State == StatePlanned {
		l.check(ctx, x.t, x.p, st, x.opts.Force)
	}
	var err error
	// A record the check found gone is journaled as compensated too, so
	// that the next Undo does not read it again.
	if (c.State == StatePlanned || c.State == StateGone) && !x.opts.DryRun {
		err = l.compensate(ctx, x.t, x.run, x.p, st)
	}
	st.before, st.written = nil, nil
	l.log.Debug("undo compensation", "action", c.Action, "object_type", c.Ref.ObjectType, "id", c.Ref.ID,
		"entry", c.Entry, "state", c.State, "dry_run", x.opts.DryRun)
	x.decided[i] = true
	if x.opts.OnCompensation != nil {
		x.callbackMu.Lock()
		x.opts.OnCompensation(*c)
		x.callbackMu.Unlock()
	}
	return err
}
