package rollback

import (
	"context"
	"encoding/json"
	"strings"
	"time"

	"github.com/pbnhl/pbnhl/highlevel"
)

// Identity lookups: the one way to find, in HighLevel, the object a
// create intent made. Contacts, opportunities and custom object records
// carry the source key in their external-id field; businesses, notes and
// tasks carry an identity line ("pbnhl-id <migration>/<type>/<key>") in
// their description or body. pbnhl's load uses these after an unknown
// outcome and for repair's re-sends, and Undo's Settle (settle.go) uses
// them after a kill, so both find an object by the same search and the
// same rules.
//
// The rules, in FindOptions: a candidate HighLevel says it created before
// NotBefore is never taken (the intent's own object cannot predate it), nor
// one Skip claims (an id the ledger already holds for another record). Of
// the candidates left, the one created last is taken: the write an intent
// announced lands after it was journaled, so within the clock slack a
// look-alike made just before the intent loses to the intent's own object
// (the first listed when HighLevel tells no creation time). Every
// candidate is therefore read: a lookup lists to the end.

// FindOptions are the rules a lookup applies to its candidates.
type FindOptions struct {
	// NotBefore: a candidate created before it is not the intent's (zero:
	// no bound; a candidate without a creation time is never excluded).
	NotBefore time.Time
	// Skip reports an id the ledger already holds for another record
	// (nil: none). The load passes its id index for businesses, notes and
	// tasks; Undo, the ids journaled as created (SettleHint.Known).
	Skip func(id string) bool
}

// takes reports whether a candidate passes both rules.
func (o FindOptions) takes(id string, created highlevel.Timestamp) bool {
	if o.Skip != nil && o.Skip(id) {
		return false
	}
	t := created.Time
	return o.NotBefore.IsZero() || t.IsZero() || !t.Before(o.NotBefore)
}

// FindContact finds the contact whose external-id custom field fieldID
// holds key.
func FindContact(ctx context.Context, c *highlevel.Client, fieldID, key string, o FindOptions) (string, bool, error) {
	q := highlevel.ContactSearch{Filters: []highlevel.SearchFilter{{Field: "customFields." + fieldID, Operator: "eq", Value: key}}, PageLimit: 10}
	var best latest
	for x, err := range c.Contacts.Search(ctx, q) {
		if err != nil {
			return "", false, err
		}
		if !o.takes(x.ID, x.DateAdded) {
			continue
		}
		if v, ok := x.CustomField(fieldID); ok {
			if t, _ := v.Text(); t == key {
				best.offer(x.ID, x.DateAdded)
			}
		}
	}
	return best.found()
}

// FindRecord finds the record of custom object objectKey whose external-id
// property prop holds key.
func FindRecord(ctx context.Context, c *highlevel.Client, objectKey, prop, key string, o FindOptions) (string, bool, error) {
	q := highlevel.RecordSearch{Filters: []highlevel.SearchFilter{{Field: "properties." + prop, Operator: "eq", Value: key}}, PageLimit: 10}
	var best latest
	for r, err := range c.Objects.SearchRecords(ctx, objectKey, q) {
		if err != nil {
			return "", false, err
		}
		if !o.takes(r.ID, r.DateAdded) {
			continue
		}
		var v string
		if raw, ok := r.Properties[prop]; ok && json.Unmarshal(raw, &v) == nil && v == key {
			best.offer(r.ID, r.DateAdded)
		}
	}
	return best.found()
}

// FindOpportunity finds the opportunity of contactID in pipelineID whose
// external-id custom field fieldID holds key. Search results may omit
// custom fields: such a candidate is read (one call each).
func FindOpportunity(ctx context.Context, c *highlevel.Client, contactID, pipelineID, fieldID, key string, o FindOptions) (string, bool, error) {
	q := highlevel.OpportunitySearch{ContactID: contactID, PipelineID: pipelineID, Status: highlevel.StatusAll}
	var best latest
	for x, err := range c.Opportunities.Search(ctx, q) {
		if err != nil {
			return "", false, err
		}
		if (x.ContactID != "" && x.ContactID != contactID) || !o.takes(x.ID, x.CreatedAt) {
			continue
		}
		v, ok := x.CustomField(fieldID)
		if !ok {
			full, err := c.Opportunities.Get(ctx, x.ID)
			if err != nil {
				return "", false, err
			}
			v, ok = full.CustomField(fieldID)
		}
		if t, _ := v.Text(); ok && t == key {
			best.offer(x.ID, x.CreatedAt)
		}
	}
	return best.found()
}

// FindBusiness finds the business match accepts (its description carries
// the identity line, or an older intent's fields).
func FindBusiness(ctx context.Context, c *highlevel.Client, match func(*highlevel.Business) bool, o FindOptions) (string, bool, error) {
	var best latest
	for b, err := range c.Businesses.List(ctx, highlevel.BusinessListOptions{}) {
		if err != nil {
			return "", false, err
		}
		if o.takes(b.ID, b.CreatedAt) && match(b) {
			best.offer(b.ID, b.CreatedAt)
		}
	}
	return best.found()
}

// FindNote finds the note of contactID whose body match accepts. The
// contact's absence is HighLevel's error (highlevel.ErrNotFound), for the
// caller to read.
func FindNote(ctx context.Context, c *highlevel.Client, contactID string, match func(body string) bool, o FindOptions) (string, bool, error) {
	notes, err := c.Contacts.ListNotes(ctx, contactID)
	if err != nil {
		return "", false, err
	}
	var best latest
	for _, n := range notes {
		if o.takes(n.ID, n.DateAdded) && match(n.Body) {
			best.offer(n.ID, n.DateAdded)
		}
	}
	return best.found()
}

// FindTask finds the task of contactID whose body carries the identity
// line mk. HighLevel tells no creation time for tasks: NotBefore does not
// apply, the line alone says the task is the migration's.
func FindTask(ctx context.Context, c *highlevel.Client, contactID, mk string, o FindOptions) (string, bool, error) {
	ts, err := c.Contacts.ListTasks(ctx, contactID)
	if err != nil {
		return "", false, err
	}
	for _, t := range ts {
		if o.takes(t.ID, highlevel.Timestamp{}) && HasLine(t.Body, mk) {
			return t.ID, true, nil
		}
	}
	return "", false, nil
}

// latest keeps the candidate created last (the first offered when none
// tells its creation time).
type latest struct {
	id string
	at time.Time
}

func (l *latest) offer(id string, at highlevel.Timestamp) {
	if l.id == "" || at.Time.After(l.at) {
		l.id, l.at = id, at.Time
	}
}

func (l *latest) found() (string, bool, error) { return l.id, l.id != "", nil }

// IdentityPrefix starts the identity line of businesses, notes, tasks and
// the newer kinds that carry one.
const IdentityPrefix = "pbnhl-id "

// IdentityLine returns the identity line a description or body carries,
// or "" (one written before identity lines, or someone else's).
func IdentityLine(text string) string {
	for line := range strings.Lines(text) {
		if t := strings.TrimSpace(line); strings.HasPrefix(t, IdentityPrefix) {
			return t
		}
	}
	return ""
}

// HasLine reports whether text has line as one of its lines (white space
// around it ignored).
func HasLine(text, line string) bool {
	for l := range strings.Lines(text) {
		if strings.TrimSpace(l) == line {
			return true
		}
	}
	return false
}
