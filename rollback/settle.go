package rollback

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/pbnhl/pbnhl/highlevel"
)

// Settling before undoing. An intent a killed or faulted run left pending
// or unknown says nothing of what happened at the destination, so Undo
// cannot plan its compensation. A Target that is also a Settler looks each
// such intent up by the migration's identity (the external id the create
// sent, the identity marker line of a note, task or business, the two
// records of a relation) once its horizon has passed — the write can no
// longer land — and Undo journals what it found before planning: done
// (with the id, compensated like any create) or not applied (nothing to
// compensate). One re-run of Undo after a kill therefore finishes.

// Settler is implemented by a Target that can settle a pending or unknown
// intent by looking it up. Settle returns the outcome found, or an error
// (matching ErrNoSettle when the intent has no identity to look up by;
// anything else is a failed lookup, tried again later). hint carries what
// the ledger knows that the intent alone does not.
type Settler interface {
	Settle(ctx context.Context, e Entry, payload []byte, hint SettleHint) (Outcome, error)
}

// SettleHint is what a Settler may use besides the intent.
type SettleHint struct {
	// IDFields are the property keys (records) or custom field ids
	// (contacts, opportunities) that carry the source key in every create
	// of the object type the ledger holds: the external-id field.
	IDFields []string
	// Known reports whether the ledger already records the id as created
	// by another intent: such an object is never taken for this one's.
	Known func(id string) bool
}

// ErrNoSettle: the intent cannot be settled by a lookup.
var ErrNoSettle = errors.New("rollback: intent cannot be settled by lookup")

// settleClockSlack allows for the destination's clock running behind ours
// when a candidate's creation time is compared with an intent's.
const settleClockSlack = 5 * time.Second

// settleDefaultHorizon bounds an intent journaled without a horizon.
const settleDefaultHorizon = 2 * time.Minute

// settleAttempts bounds the lookups of one intent in one Undo.
const settleAttempts = 4

// settlePending settles, by s, every pending or unknown intent (not a
// compensation) of the runs in scope, waiting for each one's horizon. It
// returns how many it settled; one it could not settle stays unresolved.
func (l *Ledger) settlePending(ctx context.Context, s Settler, opts UndoOptions) (int, error) {
	inRuns := map[RunID]bool{}
	for _, r := range opts.Runs {
		inRuns[r] = true
	}
	var pending []Entry
	for e, err := range l.Pending(ctx, true) {
		if err != nil {
			return 0, err
		}
		if inRuns[e.Run] && e.Compensates == 0 && (len(opts.ObjectTypes) == 0 || slices.Contains(opts.ObjectTypes, e.ObjectType)) {
			pending = append(pending, e)
		}
	}
	if len(pending) == 0 {
		return 0, nil
	}
	horizon := func(e Entry) time.Time {
		if !e.InflightUntil.IsZero() {
			return e.InflightUntil
		}
		return e.IntentAt.Add(settleDefaultHorizon)
	}
	slices.SortStableFunc(pending, func(a, b Entry) int { return horizon(a).Compare(horizon(b)) })
	types := map[string]bool{}
	for _, e := range pending {
		types[e.ObjectType] = true
	}
	known, idFields, err := l.settleHints(ctx, types)
	if err != nil {
		return 0, err
	}
	n := 0
	for _, e := range pending {
		if d := time.Until(horizon(e)); d > 0 {
			l.log.Info("undo: waiting for a write that may still be in flight before looking it up", "wait", d.Round(time.Millisecond))
			if err := sleepCtx(ctx, d); err != nil {
				return n, err
			}
		}
		payload, err := l.Payload(ctx, e)
		if err != nil {
			return n, err
		}
		hint := SettleHint{IDFields: idFields[e.ObjectType], Known: func(id string) bool { return known[id] }}
		o, err := s.Settle(ctx, e, payload, hint)
		for attempt := 1; err != nil && !errors.Is(err, ErrNoSettle) && ctx.Err() == nil && attempt < settleAttempts; attempt++ {
			if serr := sleepCtx(ctx, time.Duration(attempt)*200*time.Millisecond); serr != nil {
				return n, serr
			}
			o, err = s.Settle(ctx, e, payload, hint)
		}
		if err != nil {
			if ctx.Err() != nil {
				return n, ctx.Err()
			}
			l.log.Warn("undo: pending intent not settled by lookup", "run", e.Run, "seq", e.Seq, "type", e.ObjectType, "op", e.Op)
			continue // planned as unresolved: the next Undo tries again
		}
		if err := l.Outcome(context.WithoutCancel(ctx), e.Run, e.Seq, o); err != nil {
			if errors.Is(err, ErrOutcomeFinal) {
				continue
			}
			return n, err
		}
		if o.Status == OutcomeDone && o.ID != "" {
			known[o.ID] = true
		}
		n++
	}
	return n, nil
}

// settleHints reads, for the object types given, the ids the ledger holds
// as created and the fields that carry the source key in every create.
func (l *Ledger) settleHints(ctx context.Context, types map[string]bool) (map[string]bool, map[string][]string, error) {
	known := map[string]bool{}
	fields := map[string]map[string]bool{}
	var names []string
	for t := range types {
		names = append(names, t)
	}
	for e, err := range l.Entries(ctx, EntryFilter{ObjectTypes: names, Outcomes: []OutcomeStatus{OutcomeDone}}) {
		if err != nil {
			return nil, nil, err
		}
		if e.HighLevelID != "" {
			known[e.HighLevelID] = true
		}
		if e.Op != OpCreate || e.Compensates != 0 {
			continue
		}
		payload, err := l.Payload(ctx, e)
		if err != nil || len(payload) == 0 {
			continue
		}
		have := idFieldsOf(e.ObjectType, payload, e.SourceKey)
		set := map[string]bool{}
		for _, f := range have {
			set[f] = true
		}
		if cur, ok := fields[e.ObjectType]; ok {
			for f := range cur {
				if !set[f] {
					delete(cur, f)
				}
			}
		} else {
			fields[e.ObjectType] = set
		}
	}
	out := map[string][]string{}
	for t, set := range fields {
		for f := range set {
			out[t] = append(out[t], f)
		}
		slices.Sort(out[t])
	}
	return known, out, nil
}

// idFieldsOf lists the fields of a create payload whose value is key: the
// record properties, or the custom field ids of a contact or opportunity.
func idFieldsOf(objectType string, payload []byte, key string) []string {
	var out []string
	if isRecordType(objectType) {
		var b struct {
			Properties map[string]json.RawMessage `json:"properties"`
		}
		if json.Unmarshal(payload, &b) != nil {
			return nil
		}
		for k, v := range b.Properties {
			var s string
			if json.Unmarshal(v, &s) == nil && s == key {
				out = append(out, k)
			}
		}
		slices.Sort(out)
		return out
	}
	var b struct {
		CustomFields []struct {
			ID    string          `json:"id"`
			Value json.RawMessage `json:"field_value"`
		} `json:"customFields"`
	}
	if json.Unmarshal(payload, &b) != nil {
		return nil
	}
	for _, f := range b.CustomFields {
		var s string
		if f.ID != "" && json.Unmarshal(f.Value, &s) == nil && s == key {
			out = append(out, f.ID)
		}
	}
	slices.Sort(out)
	return out
}

// settleNotApplied is the reason of an intent a lookup found not applied.
const settleNotApplied = "not applied: not found by identity lookup before undo"

var _ Settler = (*HighLevelTarget)(nil)

// Settle implements Settler: creates by their identity (external id,
// identity line) through the lookups the load uses (find.go), links by
// their two records, updates by the state they wrote, deletes by the
// object's absence. A candidate created before the intent (less the clock
// slack) or known to the ledger as another intent's is never taken.
func (h *HighLevelTarget) Settle(ctx context.Context, e Entry, payload []byte, hint SettleHint) (Outcome, error) {
	fo := FindOptions{Skip: hint.Known}
	if !e.IntentAt.IsZero() {
		fo.NotBefore = e.IntentAt.Add(-settleClockSlack)
	}
	found := func(id string, ok bool, err error) (Outcome, error) {
		switch {
		case err != nil:
			return Outcome{}, err
		case ok:
			return Done(id), nil
		}
		return Rejected(0, settleNotApplied), nil
	}
	// absent: the contact a note, task or opportunity went under is gone,
	// and the record with it.
	absent := func(id string, ok bool, err error) (Outcome, error) {
		if errors.Is(err, highlevel.ErrNotFound) {
			return found("", false, nil)
		}
		return found(id, ok, err)
	}
	switch e.Op {
	case OpCreate:
		switch {
		case isRecordType(e.ObjectType):
			if len(hint.IDFields) == 0 {
				return Outcome{}, fmt.Errorf("%w: no external-id property known for %s", ErrNoSettle, e.ObjectType)
			}
			return found(FindRecord(ctx, h.c, e.ObjectType, hint.IDFields[0], e.SourceKey, fo))
		case e.ObjectType == TypeContact:
			if len(hint.IDFields) == 0 {
				return Outcome{}, fmt.Errorf("%w: no external-id field known for contacts", ErrNoSettle)
			}
			return found(FindContact(ctx, h.c, hint.IDFields[0], e.SourceKey, fo))
		case e.ObjectType == TypeOpportunity:
			var b struct {
				ContactID  string `json:"contactId"`
				PipelineID string `json:"pipelineId"`
			}
			_ = json.Unmarshal(payload, &b)
			if len(hint.IDFields) == 0 || b.ContactID == "" {
				return Outcome{}, fmt.Errorf("%w: no external-id field or contact known for the opportunity", ErrNoSettle)
			}
			return absent(FindOpportunity(ctx, h.c, b.ContactID, b.PipelineID, hint.IDFields[0], e.SourceKey, fo))
		case e.ObjectType == TypeNote || e.ObjectType == TypeTask || e.ObjectType == TypeBusiness:
			var b struct {
				Body        string `json:"body"`
				Description string `json:"description"`
			}
			_ = json.Unmarshal(payload, &b)
			mk := IdentityLine(b.Body + "\n" + b.Description)
			if mk == "" {
				return Outcome{}, fmt.Errorf("%w: %s intent carries no identity marker", ErrNoSettle, e.ObjectType)
			}
			switch e.ObjectType {
			case TypeNote:
				return absent(FindNote(ctx, h.c, e.TargetID, func(body string) bool { return HasLine(body, mk) }, fo))
			case TypeTask:
				return absent(FindTask(ctx, h.c, e.TargetID, mk, fo))
			}
			return found(FindBusiness(ctx, h.c, func(b *highlevel.Business) bool { return HasLine(b.Description, mk) }, fo))
		}
	case OpLink:
		if k := linkKinds[e.ObjectType]; k != nil && k.settle != nil {
			return found(k.settle(h, ctx, e, payload))
		}
	case OpUpdate:
		d, err := h.Digest(ctx, Ref{ObjectType: e.ObjectType, ID: e.TargetID, TargetID: e.TargetID, RelatedID: e.RelatedID}, payload)
		if errors.Is(err, ErrNotFound) {
			return found("", false, nil)
		}
		if err != nil {
			return Outcome{}, err
		}
		return found(e.TargetID, d == Digest(payload), nil)
	}
	return Outcome{}, fmt.Errorf("%w: %s of %s", ErrNoSettle, e.Op, e.ObjectType)
}
