package mapping

import (
	"context"
	"errors"
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/pbnhl/pbnhl/highlevel"
)

// Calendar events: an object with target calendar_event writes each
// record as an appointment of its contact in a HighLevel calendar. The
// object lists the calendars it writes into (Object.Calendars); its
// "calendar" rule gives each record's calendar by name (a constant, or a
// value map from the provider or office id). Calendars are created or
// chosen by hand — the schema plan lists them with their owners and a
// missing one blocks the run — because a calendar carries a practice's
// booking settings (hours, team, notifications) that no map can guess.

// Calendar is a HighLevel calendar an event object writes into: an
// existing calendar found by Name, or the one whose ID is given. Staff is
// the source key of the staff member who owns it (the provider whose
// chair it is), shown in the schema plan; "" for a shared calendar.
type Calendar struct {
	Name  string `yaml:"name"`
	ID    string `yaml:"id,omitempty"`
	Staff string `yaml:"staff,omitempty"`
}

// KindCalendar is a calendar an event object needs. The API could create
// one, but not with the practice's settings: a missing calendar is a
// manual step (ManualOnly).
const KindCalendar SchemaKind = "calendar"

// SchemaCalendar is a calendar of the schema plan; Object is the map
// object writing into it.
type SchemaCalendar struct {
	ID     string
	Name   string
	Staff  string
	Object string
}

// CalendarAPI lists a location's calendars. A SchemaAPI that implements
// it lets Diff check the plan's calendars; one that does not leaves them
// out of the diff (they are checked where the location is read directly).
type CalendarAPI interface {
	Calendars(ctx context.Context) ([]SchemaCalendar, error)
}

// Calendars implements CalendarAPI.
func (h *HighLevelSchema) Calendars(ctx context.Context) ([]SchemaCalendar, error) {
	cs, err := h.client.Calendars.List(ctx)
	if err != nil {
		return nil, err
	}
	out := make([]SchemaCalendar, 0, len(cs))
	for _, c := range cs {
		out = append(out, SchemaCalendar{ID: c.ID, Name: c.Name})
	}
	return out, nil
}

// deriveCalendars adds the calendars of an event object to the plan.
func (p *SchemaPlan) deriveCalendars(o *Object) {
	for _, c := range o.Calendars {
		if !slices.ContainsFunc(p.Calendars, func(x SchemaCalendar) bool { return strings.EqualFold(x.Name, c.Name) }) {
			p.Calendars = append(p.Calendars, SchemaCalendar{ID: c.ID, Name: c.Name, Staff: c.Staff, Object: o.Name})
		}
	}
}

// diffCalendars compares the plan's calendars with the location's: a
// calendar given by id must exist with that id, one given by name is
// found by name (case-insensitively). Missing ones are ManualOnly.
func (p *SchemaPlan) diffCalendars(ctx context.Context, api SchemaAPI, d *SchemaDiff) error {
	ca, ok := api.(CalendarAPI)
	if len(p.Calendars) == 0 || !ok {
		return nil
	}
	have, err := ca.Calendars(ctx)
	if err != nil {
		return fmt.Errorf("mapping: list calendars: %w", err)
	}
	for i := range p.Calendars {
		c := &p.Calendars[i]
		it := SchemaItem{Kind: KindCalendar, Key: c.Name, Status: ManualOnly}
		for _, h := range have {
			if (c.ID != "" && h.ID == c.ID) || (c.ID == "" && strings.EqualFold(h.Name, c.Name)) {
				it.Status, it.ID = Exists, h.ID
				break
			}
		}
		if it.Status == ManualOnly {
			if c.ID != "" {
				it.Detail = "no calendar has the id the map gives: correct it in the map"
			} else {
				it.Detail = "create it in Calendars settings (its booking settings are the practice's), or give its id in the map"
			}
		}
		d.Items = append(d.Items, it)
	}
	return nil
}

// CalendarIDs returns the HighLevel id of every existing calendar of the
// diff, by the name the map gives it: Inputs.Calendars.
func (d *SchemaDiff) CalendarIDs() map[string]string {
	out := map[string]string{}
	for _, it := range d.Items {
		if it.Kind == KindCalendar && it.Status == Exists && it.ID != "" {
			out[it.Key] = it.ID
		}
	}
	return out
}

// writeCalendars renders the plan's calendars with their owners.
func (p *SchemaPlan) writeCalendars(b io.StringWriter, state func(SchemaKind, string) string, head func(string) string, sep func(int) string) {
	if len(p.Calendars) == 0 {
		return
	}
	_, _ = b.WriteString("## Calendars\n\nCalendars → Settings → Create calendar (or give an existing calendar's id in the map). Events are written with toNotify false: no patient is notified.\n\n")
	_, _ = b.WriteString(head("| Calendar | Id | Owner (staff key) | Map object |"))
	_, _ = b.WriteString(sep(4))
	for _, c := range p.Calendars {
		owner := c.Staff
		if owner == "" {
			owner = "shared"
		}
		_, _ = b.WriteString(fmt.Sprintf("| %s | %s | %s | %s%s |\n", mdCell(c.Name), mdCell(c.ID), mdCell(owner), mdCell(c.Object),
			strings.TrimSuffix(state(KindCalendar, c.Name), " |")))
	}
	_, _ = b.WriteString("\n")
}

// checkEvent validates an event object: it lists its calendars, names
// each once, and its calendar rule only names listed calendars.
func (o *Object) checkEvent(add func(pos, string, string, ...any), path string) {
	if o.Target != TargetEvent {
		if len(o.Calendars) > 0 {
			add(o.at, path+".calendars", "calendars apply only to calendar_event targets")
		}
		return
	}
	if len(o.Calendars) == 0 {
		add(o.at, path, "a calendar_event object needs calendars (name, optional id and staff owner)")
	}
	names := map[string]bool{}
	for _, c := range o.Calendars {
		n := strings.ToLower(strings.TrimSpace(c.Name))
		if n == "" {
			add(o.at, path+".calendars", "calendar without a name")
			continue
		}
		if names[n] {
			add(o.at, path+".calendars", "calendar %q is listed twice", c.Name)
		}
		names[n] = true
	}
	for _, to := range []string{"calendar", "startTime"} {
		if o.Field(to) == nil {
			add(o.at, path, "a calendar_event object needs a %q rule", to)
		}
	}
	f := o.Field("calendar")
	if f == nil {
		return
	}
	known := func(v string) bool { return v == "" || names[strings.ToLower(strings.TrimSpace(v))] }
	for _, v := range append([]string{f.Value, f.Default}, pairTargets(f.Values)...) {
		if !known(v) {
			add(f.at, path+".fields.calendar", "calendar %q is not one of the object's calendars", v)
		}
	}
}

func pairTargets(vm ValueMap) []string {
	out := make([]string, 0, len(vm))
	for _, p := range vm {
		out = append(out, p.To)
	}
	return out
}

// Event builds the appointment of an event payload for its contact.
// startTime is RFC 3339 (or a plain date); endTime likewise, or else
// startTime plus durationMinutes, or else the calendar's slot length. The
// calendar is the payload's "calendar" name resolved through
// in.Calendars. A migration writes history: the contact is never
// notified (toNotify false) and neither a past slot nor a taken one is
// refused (ignoreDateRange, ignoreFreeSlotValidation). Errors name
// fields, never values.
func (in Inputs) Event(p *Payload, contactID string) (highlevel.AppointmentInput, error) {
	a := highlevel.AppointmentInput{ContactID: contactID, AssignedUserID: p.AssignedTo,
		IgnoreDateRange: true, IgnoreFreeSlotValidation: true}
	if p.Target != TargetEvent {
		return a, wrongTarget(p, TargetEvent)
	}
	var minutes string
	for _, v := range p.Fields {
		var err error
		switch v.Key {
		case "calendar":
			id, ok := in.Calendars[v.Text]
			if !ok {
				for name, cid := range in.Calendars {
					if strings.EqualFold(name, v.Text) {
						id, ok = cid, true
					}
				}
			}
			if !ok {
				return a, errors.New("calendar: the record's calendar is not an existing calendar of the map")
			}
			a.CalendarID = id
		case "title":
			a.Title = v.Text
		case "description":
			a.Description = v.Text
		case "address":
			a.Address = v.Text
		case "appointmentStatus":
			a.Status = highlevel.AppointmentStatus(v.Text)
			if !slices.Contains(appointmentStatuses, a.Status) {
				return a, errors.New("appointmentStatus is not a HighLevel appointment status (new, confirmed, cancelled, showed, noshow, invalid)")
			}
		case "startTime":
			if a.StartTime, err = eventTime(v.Text); err != nil {
				return a, errors.New("startTime is not a time")
			}
		case "endTime":
			if a.EndTime, err = eventTime(v.Text); err != nil {
				return a, errors.New("endTime is not a time")
			}
		case "durationMinutes":
			minutes = v.Text
		}
	}
	if a.CalendarID == "" {
		return a, errors.New("calendar: the record has no calendar")
	}
	if a.StartTime.IsZero() {
		return a, errors.New("startTime is empty")
	}
	if a.EndTime.IsZero() && minutes != "" {
		n, err := strconv.ParseFloat(minutes, 64)
		if err != nil || n <= 0 || n > 24*60 {
			return a, errors.New("durationMinutes is not a positive number of minutes within a day")
		}
		a.EndTime = a.StartTime.Add(time.Duration(n * float64(time.Minute)))
	}
	if !a.EndTime.IsZero() && !a.EndTime.After(a.StartTime) {
		return a, errors.New("endTime is not after startTime")
	}
	return a, nil
}

var appointmentStatuses = []highlevel.AppointmentStatus{highlevel.AppointmentNew, highlevel.AppointmentConfirmed,
	highlevel.AppointmentCancelled, highlevel.AppointmentShowed, highlevel.AppointmentNoShow, highlevel.AppointmentInvalid}

func eventTime(s string) (time.Time, error) {
	if t, err := time.Parse(time.RFC3339, s); err == nil {
		return t, nil
	}
	return time.Parse(time.DateOnly, s)
}

// writeReviewExtras shows a reviewer what the map decides beyond rules:
// an event object's calendars, a user object's owners table, and where an
// opportunity's stage probability goes.
func writeReviewExtras(b *strings.Builder, o *Object) {
	if len(o.Calendars) > 0 {
		b.WriteString("Calendars (created or chosen by hand; events are written with toNotify false):\n\n")
		for _, c := range o.Calendars {
			fmt.Fprintf(b, "- %s", mdText(c.Name))
			if c.ID != "" {
				fmt.Fprintf(b, " (id `%s`)", mdCell(c.ID))
			}
			if c.Staff != "" {
				fmt.Fprintf(b, ", owned by staff `%s`", mdCell(c.Staff))
			}
			b.WriteByte('\n')
		}
		b.WriteByte('\n')
	}
	if len(o.Owners) > 0 {
		b.WriteString("Owners table (wins over the email match):\n\n")
		for _, r := range o.Owners {
			to := "user `" + mdCell(r.UserID) + "`"
			if r.UserID == "" {
				to = "the user with email `" + mdCell(r.Email) + "`"
			}
			fmt.Fprintf(b, "- staff `%s` → %s\n", mdCell(r.Staff), to)
		}
		b.WriteByte('\n')
	}
	if o.ProbabilityField != "" && o.Target == TargetOpportunity {
		fmt.Fprintf(b, "Stage probability: written to the opportunity field `%s` (HighLevel's API cannot set a stage's probability; the schema plan lists the values to set in Pipeline settings).\n\n", mdCell(o.ProbabilityField))
	}
}
