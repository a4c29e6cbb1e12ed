package handover

import (
	"cmp"
	"regexp"
	"slices"
	"strings"

	"github.com/pbnhl/pbnhl/mapping"
	pbn "github.com/pbnhl/pbnhl/practicebynumbers"
)

// Automation is one entry of the workflow rebuild guide: a PbN workflow,
// campaign or message template with what to build in HighLevel.
type Automation struct {
	// Order is the checklist position (1 first): recall and reminder flows
	// lead because they drive revenue, then the other active ones, then
	// the inactive ones.
	Order   int     `json:"order"`
	ID      pbn.Key `json:"id"`
	Name    string  `json:"name"`
	Kind    string  `json:"kind"`
	Channel string  `json:"channel"`
	Active  bool    `json:"active"`
	// Trigger is PbN's trigger; Conditions the trigger's filter, if any.
	Trigger    string `json:"trigger"`
	Conditions string `json:"conditions"`
	// HighLevelTrigger is the suggested Workflow Builder trigger.
	HighLevelTrigger string `json:"highLevelTrigger"`
	Steps            []Step `json:"steps"`
	// Templates are the message texts the steps send, translated.
	Templates []Template `json:"templates,omitempty"`
}

// Step is one PbN step and the Workflow Builder action that does it.
type Step struct {
	PbN       string `json:"pbn"`
	HighLevel string `json:"highLevel"`
}

// Template is a message text: PbN's, HighLevel's (merge fields replaced by
// custom values) and the merge fields with no HighLevel equivalent, which
// are left as written and must be fixed by hand.
type Template struct {
	PbN            string   `json:"pbn"`
	HighLevel      string   `json:"highLevel"`
	Untranslatable []string `json:"untranslatable,omitempty"`
}

type guideJSON struct {
	Practice    string       `json:"practice,omitempty"`
	Automations []Automation `json:"automations"`
}

// translator turns PbN merge fields into HighLevel custom values.
type translator struct {
	values map[string]string // normalised PbN merge field → HighLevel value
}

// patientMerge are PbN's patient merge fields and the source field each
// reads.
var patientMerge = map[string]string{
	"first": "firstName", "firstname": "firstName", "fname": "firstName", "patientfirstname": "firstName",
	"last": "lastName", "lastname": "lastName", "lname": "lastName", "patientlastname": "lastName",
	"preferred": "preferredName", "preferredname": "preferredName", "nickname": "preferredName",
	"email": "email", "mobile": "mobilePhone", "phone": "mobilePhone", "cell": "mobilePhone",
	"birthdate": "birthDate", "dob": "birthDate", "chartnumber": "chartNumber", "firstvisit": "firstVisit",
}

// standardContact are HighLevel's standard contact custom values by
// contact field.
var standardContact = map[string]string{
	"firstName": "{{contact.first_name}}", "lastName": "{{contact.last_name}}", "email": "{{contact.email}}",
	"phone": "{{contact.phone}}", "dateOfBirth": "{{contact.date_of_birth}}", "city": "{{contact.city}}",
	"companyName": "{{contact.company_name}}",
}

// otherMerge are PbN merge fields about the office or the appointment:
// HighLevel's location and appointment custom values.
var otherMerge = map[string]string{
	"office": "{{location.name}}", "officename": "{{location.name}}", "practice": "{{location.name}}", "practicename": "{{location.name}}",
	"officephone": "{{location.phone}}", "officeaddress": "{{location.full_address}}", "officeemail": "{{location.email}}",
	"date": "{{appointment.only_start_date}}", "appointmentdate": "{{appointment.only_start_date}}",
	"time": "{{appointment.only_start_time}}", "appointmenttime": "{{appointment.only_start_time}}",
}

func newTranslator(m *mapping.Map) *translator {
	t := &translator{values: map[string]string{}}
	for k, v := range otherMerge {
		t.values[k] = v
	}
	for name, field := range patientMerge {
		to := ""
		if m == nil {
			// Without a map only the fields every PbN map carries the
			// same way are translated.
			to = map[string]string{"firstName": "firstName", "lastName": "lastName", "email": "email", "mobilePhone": "phone", "birthDate": "dateOfBirth"}[field]
		} else {
			to = migratedField(m, "patients", field)
		}
		switch {
		case to == "":
		case standardContact[to] != "":
			t.values[name] = standardContact[to]
		case strings.Contains(to, "."), !isCustomKey(to):
			// Not a contact value (a custom object's field, or a
			// standard field without a custom value): flagged.
		default:
			t.values[name] = "{{contact." + to + "}}"
		}
	}
	return t
}

func isCustomKey(s string) bool {
	for _, r := range s {
		if !(r >= 'a' && r <= 'z' || r >= '0' && r <= '9' || r == '_') {
			return false
		}
	}
	return s != ""
}

// mergeField matches {{name}} and {name}.
var mergeField = regexp.MustCompile(`\{\{\s*([A-Za-z][A-Za-z0-9_. ]*?)\s*\}\}|\{([A-Za-z][A-Za-z0-9_]*)\}`)

func normMerge(s string) string {
	s = strings.ToLower(s)
	s = strings.TrimPrefix(s, "patient.")
	return strings.NewReplacer("_", "", ".", "", " ", "").Replace(s)
}

func (t *translator) translate(text string) Template {
	tpl := Template{PbN: text}
	var bad []string
	tpl.HighLevel = mergeField.ReplaceAllStringFunc(text, func(f string) string {
		sub := mergeField.FindStringSubmatch(f)
		name := cmp.Or(sub[1], sub[2])
		if v, ok := t.values[normMerge(name)]; ok {
			return v
		}
		if !slices.Contains(bad, f) {
			bad = append(bad, f)
		}
		return f
	})
	tpl.Untranslatable = bad
	return tpl
}

// quoted matches the texts a step sends: "..." in PbN's step lines.
var quoted = regexp.MustCompile(`"([^"]*)"`)

func buildAutomations(d *data, t *translator) []Automation {
	out := make([]Automation, 0, len(d.automations))
	for _, a := range d.automations {
		trig, cond, _ := strings.Cut(strings.TrimSpace(a.Trigger), " ")
		row := Automation{ID: a.ID, Name: a.Name, Kind: string(a.Kind), Channel: string(a.Channel), Active: a.Active,
			Trigger: trig, Conditions: strings.TrimSpace(cond)}
		if row.Trigger == "" {
			row.Trigger = "none given (sent by hand or on a schedule)"
		}
		row.HighLevelTrigger = suggestTrigger(a)
		seen := map[string]bool{}
		for line := range strings.SplitSeq(a.Steps, "\n") {
			line = strings.TrimSpace(line)
			if line == "" {
				continue
			}
			row.Steps = append(row.Steps, Step{PbN: line, HighLevel: suggestAction(line, a.Channel)})
			for _, q := range quoted.FindAllStringSubmatch(line, -1) {
				if !seen[q[1]] {
					seen[q[1]] = true
					row.Templates = append(row.Templates, t.translate(q[1]))
				}
			}
		}
		out = append(out, row)
	}
	slices.SortStableFunc(out, func(a, b Automation) int {
		return cmp.Or(cmp.Compare(rank(a), rank(b)), a.ID.Compare(b.ID))
	})
	for i := range out {
		out[i].Order = i + 1
	}
	return out
}

// rank orders the checklist: active recall, then active reminders, then
// other active flows, then inactive ones.
func rank(a Automation) int {
	n := strings.ToLower(a.Name + " " + a.Channel)
	switch {
	case !a.Active:
		return 3
	case strings.Contains(n, "recall"):
		return 0
	case strings.Contains(n, "reminder") || strings.Contains(n, "confirm"):
		return 1
	}
	return 2
}

func suggestTrigger(a pbn.Automation) string {
	t := strings.ToLower(a.Trigger)
	switch {
	case strings.HasPrefix(t, "appointment.scheduled"), strings.HasPrefix(t, "appointment.booked"):
		return "Appointment Status (status: booked/confirmed) on the practice's calendars — or 'Customer Booked Appointment'"
	case strings.HasPrefix(t, "appointment.completed"):
		return "Appointment Status (status: showed)"
	case strings.HasPrefix(t, "appointment.broken"), strings.HasPrefix(t, "appointment.missed"), strings.HasPrefix(t, "appointment.noshow"):
		return "Appointment Status (status: no-show)"
	case strings.HasPrefix(t, "appointment.cancel"):
		return "Appointment Status (status: cancelled)"
	case strings.HasPrefix(t, "patient.birthday"):
		return "Birthday Reminder (on the contact's date of birth)"
	case strings.HasPrefix(t, "procedure.completed"):
		return "no HighLevel trigger sees procedures: add a tag from the practice system or a Date Reminder on a recall-due date field, then trigger on 'Contact Tag' / 'Custom Date Reminder'"
	case strings.HasPrefix(t, "treatment_plan.presented"), strings.HasPrefix(t, "treatment_plan.created"):
		return "Opportunity Created (pipeline: Cases) — treatment plans are opportunities"
	case strings.HasPrefix(t, "treatment_plan."):
		return "Pipeline Stage Changed (pipeline: Cases)"
	case strings.HasPrefix(t, "patient.last_visit"), strings.HasPrefix(t, "patient.inactive"):
		return "Contact Tag added (the lapsed cohort's tag), or a Smart List bulk action 'Add to Workflow'"
	case strings.HasPrefix(t, "patient.created"), strings.HasPrefix(t, "patient.new"):
		return "Contact Created"
	case strings.HasPrefix(t, "form."):
		return "Form Submitted"
	case t == "":
		return "Manual: a Smart List bulk action 'Add to Workflow' (no trigger in PbN)"
	}
	return "no direct equivalent: rebuild by hand (Contact Tag or Custom Date Reminder triggers cover most)"
}

func suggestAction(line string, ch pbn.Channel) string {
	l := strings.ToLower(line)
	switch {
	case strings.HasPrefix(l, "wait until"):
		return "Wait (event/appointment time: before the appointment)"
	case strings.HasPrefix(l, "wait"):
		return "Wait (time delay: " + strings.TrimSpace(line[len("wait"):]) + ")"
	case strings.HasPrefix(l, "if no reply"):
		cond, then, ok := strings.Cut(line, ":")
		timeout := "up to " + strings.TrimPrefix(strings.TrimSpace(cond[len("if no reply"):]), "in ")
		if !ok || strings.TrimSpace(then) == "" {
			return "Wait (for a reply, " + timeout + ") then If/Else on 'Replied'"
		}
		return "Wait (for a reply, " + timeout + ") then If/Else on 'Replied': no reply → " + suggestAction(strings.TrimSpace(then), ch)
	case strings.HasPrefix(l, "if "):
		return "If/Else (" + strings.TrimSpace(line[len("if "):]) + ")"
	case strings.Contains(l, "send sms"), strings.Contains(l, "send text"):
		return "Send SMS (paste the template's HighLevel text)"
	case strings.Contains(l, "send email"):
		return "Send Email (paste the template's HighLevel text; build it in Marketing → Emails)"
	case strings.Contains(l, "send letter"), strings.Contains(l, "mail"):
		return "no letter action in HighLevel: Add Task 'send letter' to the front desk (or a direct-mail integration)"
	case strings.Contains(l, "call task"), strings.Contains(l, "create call"):
		return "Add Task (call) assigned to the contact's owner"
	case strings.Contains(l, "task"):
		return "Add Task assigned to the contact's owner"
	case strings.HasPrefix(l, "add to cohort"):
		return "Add Contact Tag (" + CohortTag(strings.TrimSpace(line[len("add to cohort"):])) + ")"
	case strings.HasPrefix(l, "remove from cohort"):
		return "Remove Contact Tag (" + CohortTag(strings.TrimSpace(line[len("remove from cohort"):])) + ")"
	case strings.HasPrefix(l, "send"):
		switch ch {
		case pbn.ChannelEmail:
			return "Send Email"
		case pbn.ChannelCall:
			return "Add Task (call)"
		}
		return "Send SMS"
	}
	return "no matching action: rebuild by hand (Internal Notification to staff)"
}
