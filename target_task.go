package pbnhl

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/pbnhl/pbnhl/highlevel"
	"github.com/pbnhl/pbnhl/mapping"
	"github.com/pbnhl/pbnhl/rollback"
)

// taskTarget writes tasks under their contact. Like a note, a task's
// identity is the marker line at the end of its body.
type taskTarget struct{ builtInWriter }

func (taskTarget) kind() mapping.TargetKind { return mapping.TargetTask }
func (taskTarget) group() loadGroup         { return loadNotes }

func (taskTarget) write(ctx context.Context, ph *phase, o *mapping.Object, tr *tracker, j *job) error {
	p := &j.p
	c := ph.m.opts.Client
	in, contactID, ok, err := inputUnderContact(ctx, ph, o, tr, j, func(p *mapping.Payload, _ string) (highlevel.TaskInput, error) {
		return ph.p.inputs.Task(p)
	})
	if !ok {
		return err
	}
	// The create's body (TaskInput.MarshalJSON); an update sends the same
	// fields (the marker keeps "body" from ever being empty, where the two
	// would differ).
	mk, body, err := markedBody(ph, o, rollback.TypeTask, p.SourceKey, &in.Body, func() ([]byte, error) { return json.Marshal(in) })
	if err != nil {
		return err
	}
	_, _, err = ph.put(ctx, o, tr, rollback.TypeTask, p.SourceKey, j.modified, contactID, body,
		func(ctx context.Context) (string, error) {
			t, err := c.Contacts.CreateTask(ctx, contactID, in)
			if err != nil {
				return "", err
			}
			return t.ID, nil
		},
		func(ctx context.Context, _ time.Time) (string, bool, error) {
			return ph.m.findTask(ctx, ph.idx, contactID, mk)
		},
		func() ([]byte, func(context.Context, string) error, error) {
			return body, func(ctx context.Context, id string) error {
				_, err := c.Contacts.UpdateTask(ctx, contactID, id, in)
				return err
			}, nil
		})
	return err
}

// adopt lists the tasks of every contact of this migration for their
// marker line: one List per contact.
func (taskTarget) adopt(ctx context.Context, sc *adoptScan, o *mapping.Object) error {
	ids, err := sc.contactIDs(ctx)
	if err != nil {
		return err
	}
	for _, cid := range ids {
		ts, err := sc.m.opts.Client.Contacts.ListTasks(ctx, cid)
		if err != nil {
			return fmt.Errorf("pbnhl: list tasks: %w", err)
		}
		for _, t := range ts {
			sc.add(rollback.TypeTask, sc.markerKey(t.Body, rollback.TypeTask), adopted{id: t.ID, target: cid, entity: o.Source})
		}
	}
	return nil
}

func (taskTarget) underContact() bool { return true }

// deletedWithSource: a task is the history of a source record (a message)
// as a note is: a delta deletes it when the source deletes that record.
func (taskTarget) deletedWithSource() bool { return true }

func (taskTarget) owns(typ string) bool { return typ == rollback.TypeTask }

// settle finds the contact's task carrying the marker (tasks were always
// written with one; HighLevel tells no creation time for tasks).
func (taskTarget) settle(ctx context.Context, s lookupScope, e rollback.Entry, payload []byte) (string, bool, error) {
	mk, err := s.intentMarker(ctx, e, payload, "body")
	if err != nil {
		return "", false, err
	}
	return s.m.findTask(ctx, s.idx, e.TargetID, mk)
}

// matches lists the contact's tasks carrying sk's marker line.
func (taskTarget) matches(ctx context.Context, s lookupScope, sk sweepKey) ([]string, int, error) {
	mk := marker(s.mid, sk.typ, sk.key)
	ts, err := s.m.opts.Client.Contacts.ListTasks(ctx, sk.parent)
	if err != nil {
		return nil, 1, err
	}
	var ids []string
	for _, t := range ts {
		if rollback.HasLine(t.Body, mk) {
			ids = append(ids, t.ID)
		}
	}
	return ids, 1, nil
}

// findTask finds the contact's task carrying the marker, skipping mapped
// ones (HighLevel tells no creation time for tasks: the marker alone says
// the task is this migration's; rollback.FindTask, the lookup Undo's
// settle makes too).
func (m *Migration) findTask(ctx context.Context, idx *idIndex, contactID, mk string) (string, bool, error) {
	return rollback.FindTask(ctx, m.opts.Client, contactID, mk, findOptions(idx, rollback.TypeTask, time.Time{}))
}

// resend: the journaled body (its marker line included) under the
// contact's id — the new one when this repair re-created the contact.
// Found again by its marker after an unknown outcome; a body without one
// is not re-sent, as an unknown outcome could then not be settled.
func (taskTarget) resend(rs resendScope, key string, body []byte) (resent, error) {
	var x struct {
		Title      string `json:"title"`
		Body       string `json:"body"`
		DueDate    string `json:"dueDate"`
		Completed  bool   `json:"completed"`
		AssignedTo string `json:"assignedTo"`
	}
	if err := json.Unmarshal(body, &x); err != nil {
		return resent{}, fmt.Errorf("decode the journaled body: %w", err)
	}
	due, err := time.Parse(time.RFC3339, x.DueDate)
	if err != nil {
		return resent{}, fmt.Errorf("decode the journaled due date: %w", err)
	}
	in := highlevel.TaskInput{Title: x.Title, Body: x.Body, DueDate: due, Completed: x.Completed, AssignedTo: x.AssignedTo}
	contactID := rs.parentID()
	if contactID == "" {
		return resent{}, fmt.Errorf("%w: the journal names no contact for the task", errNoResend)
	}
	mk := rollback.IdentityLine(in.Body)
	if mk == "" {
		return resent{}, fmt.Errorf("%w: the journaled task carries no identity marker", errNoResend)
	}
	c := rs.m.opts.Client
	return resent{body: body, target: contactID,
		call: func(ctx context.Context) (string, error) {
			t, err := c.Contacts.CreateTask(ctx, contactID, in)
			if err != nil {
				return "", err
			}
			return t.ID, nil
		},
		find: func(ctx context.Context, _ time.Time) (string, bool, error) {
			return rs.m.findTask(ctx, nil, contactID, mk)
		}}, nil
}

// current: HighLevel tells no time of a task's last change (zero).
func (t taskTarget) current(ctx context.Context, c *highlevel.Client, typ, id, parent string) ([]byte, time.Time, error) {
	return readUpdated(ctx, t, c, typ, id, parent, "")
}
