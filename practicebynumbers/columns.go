package practicebynumbers

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"
)

// Record is the set of entity types. Generic helpers ([CSVRow], the typed
// iterators) accept any of them.
type Record interface {
	Office | Staff | Patient | Appointment | Procedure | TreatmentPlan | InsuranceCarrier |
		Coverage | Communication | FormSubmission | Document | CustomPropertyDefinition |
		KPIDefinition | KPIValue | Cohort | Automation
}

// codecCtx carries what formatting and parsing a cell needs besides the cell.
type codecCtx struct {
	loc *time.Location // wall-clock zone of CSV timestamps
}

// column is one canonical CSV column of entity type T: its header, the other
// spellings the reader accepts, and how to write and read the field.
type column[T any] struct {
	name    string
	aliases []string
	format  func(*T, *codecCtx) string
	parse   func(*T, string, *codecCtx) error
	// ptr returns the address of the field the column fills, which names
	// the record field it is ([recordFieldOf]).
	ptr func(*T) any
}

// withPtr records which field of T the column fills.
func withPtr[T, X any](f func(*T) *X, c column[T]) column[T] {
	c.ptr = func(r *T) any { return f(r) }
	return c
}

func split(aliases string) []string {
	if aliases == "" {
		return nil
	}
	return strings.Split(aliases, "|")
}

func strCol[T any](name, aliases string, f func(*T) *string) column[T] {
	return withPtr(f, column[T]{name, split(aliases),
		func(r *T, _ *codecCtx) string { return *f(r) },
		func(r *T, s string, _ *codecCtx) error { *f(r) = s; return nil }, nil})
}

func idCol[T any](name, aliases string, f func(*T) *Key) column[T] {
	return withPtr(f, column[T]{name, split(aliases),
		func(r *T, _ *codecCtx) string { return string(*f(r)) },
		func(r *T, s string, _ *codecCtx) (err error) { *f(r), err = ParseKey(s); return err }, nil})
}

func intCol[T any](name, aliases string, f func(*T) *int) column[T] {
	return withPtr(f, column[T]{name, split(aliases),
		func(r *T, _ *codecCtx) string { return strconv.Itoa(*f(r)) },
		func(r *T, s string, _ *codecCtx) error {
			n, err := parseInt(s)
			*f(r) = int(n)
			return err
		}, nil})
}

func int64Col[T any](name, aliases string, f func(*T) *int64) column[T] {
	return withPtr(f, column[T]{name, split(aliases),
		func(r *T, _ *codecCtx) string { return strconv.FormatInt(*f(r), 10) },
		func(r *T, s string, _ *codecCtx) (err error) { *f(r), err = parseInt(s); return err }, nil})
}

func parseInt(s string) (int64, error) {
	s = strings.TrimSpace(strings.ReplaceAll(s, ",", ""))
	if s == "" {
		return 0, nil
	}
	if whole, frac, ok := strings.Cut(s, "."); ok && strings.Trim(frac, "0") == "" {
		s = whole
	}
	n, err := strconv.ParseInt(s, 10, 32<<1)
	if err != nil {
		return 0, valueErr("integer", "not an integer")
	}
	return n, nil
}

func boolCol[T any](name, aliases string, f func(*T) *bool) column[T] {
	return withPtr(f, column[T]{name, split(aliases),
		func(r *T, _ *codecCtx) string {
			if *f(r) {
				return "true"
			}
			return "false"
		},
		func(r *T, s string, _ *codecCtx) (err error) { *f(r), err = parseBool(s); return err }, nil})
}

func dateCol[T any](name, aliases string, f func(*T) *Date) column[T] {
	return withPtr(f, column[T]{name, split(aliases),
		func(r *T, _ *codecCtx) string { return f(r).String() },
		func(r *T, s string, _ *codecCtx) (err error) { *f(r), err = ParseDate(s); return err }, nil})
}

func timeCol[T any](name, aliases string, f func(*T) *time.Time) column[T] {
	return withPtr(f, column[T]{name, split(aliases),
		func(r *T, c *codecCtx) string { return FormatTimestamp(*f(r), c.loc) },
		func(r *T, s string, c *codecCtx) (err error) { *f(r), err = ParseTimestamp(s, c.loc); return err }, nil})
}

func centsCol[T any](name, aliases string, f func(*T) *Cents) column[T] {
	return withPtr(f, column[T]{name, split(aliases),
		func(r *T, _ *codecCtx) string { return f(r).String() },
		func(r *T, s string, _ *codecCtx) (err error) { *f(r), err = parseMoney(s); return err }, nil})
}

func enumCol[T any, E ~string](name, aliases string, parse func(string) (E, error), f func(*T) *E) column[T] {
	return withPtr(f, column[T]{name, split(aliases),
		func(r *T, _ *codecCtx) string { return string(*f(r)) },
		func(r *T, s string, _ *codecCtx) (err error) { *f(r), err = parse(s); return err }, nil})
}

func idListCol[T any](name, aliases string, f func(*T) *[]Key) column[T] {
	return withPtr(f, column[T]{name, split(aliases),
		func(r *T, _ *codecCtx) string { return FormatIDList(*f(r)) },
		func(r *T, s string, _ *codecCtx) (err error) { *f(r), err = ParseIDList(s); return err }, nil})
}

// stringListCol writes a JSON array of strings; it also reads "a|b|c" and
// "a;b;c" when the cell is not a JSON array.
func stringListCol[T any](name, aliases string, f func(*T) *[]string) column[T] {
	return withPtr(f, column[T]{name, split(aliases),
		func(r *T, _ *codecCtx) string {
			if len(*f(r)) == 0 {
				return ""
			}
			b, _ := json.Marshal(*f(r))
			return string(b)
		},
		func(r *T, s string, _ *codecCtx) error {
			s = strings.TrimSpace(s)
			switch {
			case s == "":
				*f(r) = nil
			case strings.HasPrefix(s, "["):
				var v []string
				if err := json.Unmarshal([]byte(s), &v); err != nil {
					return valueErr("list", "malformed JSON array")
				}
				*f(r) = v
			default:
				sep := "|"
				if !strings.Contains(s, "|") {
					sep = ";"
				}
				parts := strings.Split(s, sep)
				for i := range parts {
					parts[i] = strings.TrimSpace(parts[i])
				}
				*f(r) = parts
			}
			return nil
		}, nil})
}

// durationCol reads minutes, or an Open Dental Pattern ("XXXX//", 5 minutes
// per character).
func durationCol[T any](name, aliases string, f func(*T) *int) column[T] {
	return withPtr(f, column[T]{name, split(aliases),
		func(r *T, _ *codecCtx) string { return strconv.Itoa(*f(r)) },
		func(r *T, s string, _ *codecCtx) error {
			s = strings.TrimSpace(s)
			if s != "" && strings.Trim(s, "X/x|") == "" {
				*f(r) = 5 * len(s)
				return nil
			}
			n, err := parseInt(s)
			*f(r) = int(n)
			return err
		}, nil})
}

func addressCols[T any](f func(*T) *Address) []column[T] {
	return []column[T]{
		strCol("address", "address1|address line 1|street|street address", func(r *T) *string { return &f(r).Line1 }),
		strCol("address2", "address line 2|apt|suite", func(r *T) *string { return &f(r).Line2 }),
		strCol("city", "town", func(r *T) *string { return &f(r).City }),
		strCol("state", "province|st|region code", func(r *T) *string { return &f(r).State }),
		strCol("zip", "zip code|zipcode|postal code|postcode|postal", func(r *T) *string { return &f(r).PostalCode }),
		strCol("country", "", func(r *T) *string { return &f(r).Country }),
	}
}

func stamps[T any](created, updated func(*T) *time.Time) []column[T] {
	return []column[T]{
		timeCol("created_at", "SecDateEntry|SecDateTEntry|date created|created|DateEntry|entry date", created),
		timeCol("updated_at", "DateTStamp|SecDateTEdit|last modified|modified|date modified|updated|DateTimeStamp|changed at", updated),
	}
}

func cat[T any](parts ...[]column[T]) []column[T] {
	var out []column[T]
	for _, p := range parts {
		out = append(out, p...)
	}
	return out
}

var officeColumns = cat(
	[]column[Office]{
		idCol("office_id", "ClinicNum|clinic id|clinic|id|office|practice id|location id", func(r *Office) *Key { return &r.ID }),
		strCol("name", "Description|clinic name|office name|practice name|location", func(r *Office) *string { return &r.Name }),
		strCol("abbr", "abbreviation|short name", func(r *Office) *string { return &r.Abbr }),
	},
	addressCols(func(r *Office) *Address { return &r.Address }),
	[]column[Office]{
		strCol("phone", "phone number|telephone", func(r *Office) *string { return &r.Phone }),
		strCol("email", "email address|EmailAddressNum", func(r *Office) *string { return &r.Email }),
		strCol("region", "", func(r *Office) *string { return &r.Region }),
		strCol("time_zone", "timezone|tz|zone", func(r *Office) *string { return &r.TimeZone }),
		boolCol("active", "is active|enabled", func(r *Office) *bool { return &r.Active }),
	},
	stamps(func(r *Office) *time.Time { return &r.CreatedAt }, func(r *Office) *time.Time { return &r.UpdatedAt }),
)

var staffColumns = cat(
	[]column[Staff]{
		idCol("staff_id", "ProvNum|provider id|user id|UserNum|UserOD|id|provider num", func(r *Staff) *Key { return &r.ID }),
		enumCol("kind", "type|staff type", ParseStaffKind, func(r *Staff) *StaffKind { return &r.Kind }),
		strCol("abbr", "abbreviation|initials", func(r *Staff) *string { return &r.Abbr }),
		strCol("first_name", "FName|first|given name", func(r *Staff) *string { return &r.FirstName }),
		strCol("last_name", "LName|last|surname|family name", func(r *Staff) *string { return &r.LastName }),
		strCol("email", "email address|e-mail", func(r *Staff) *string { return &r.Email }),
		strCol("phone", "phone number", func(r *Staff) *string { return &r.Phone }),
		strCol("role", "title|job title", func(r *Staff) *string { return &r.Role }),
		strCol("specialty", "speciality", func(r *Staff) *string { return &r.Specialty }),
		boolCol("is_hygienist", "IsSecondary|hygienist", func(r *Staff) *bool { return &r.IsHygienist }),
		boolCol("hidden", "IsHidden", func(r *Staff) *bool { return &r.Hidden }),
		boolCol("active", "is active|enabled", func(r *Staff) *bool { return &r.Active }),
		idListCol("office_ids", "clinics|clinic nums|offices|office id|ClinicNum", func(r *Staff) *[]Key { return &r.OfficeIDs }),
	},
	stamps(func(r *Staff) *time.Time { return &r.CreatedAt }, func(r *Staff) *time.Time { return &r.UpdatedAt }),
)

var patientColumns = cat(
	[]column[Patient]{
		idCol("patient_id", "PatNum|Patient ID|id|patient number|patient no|pat num", func(r *Patient) *Key { return &r.ID }),
		strCol("first_name", "FName|first|given name", func(r *Patient) *string { return &r.FirstName }),
		strCol("last_name", "LName|last|surname|family name", func(r *Patient) *string { return &r.LastName }),
		strCol("middle_initial", "MiddleI|middle|middle name", func(r *Patient) *string { return &r.MiddleInitial }),
		strCol("preferred_name", "Preferred|nickname|goes by", func(r *Patient) *string { return &r.PreferredName }),
		enumCol("status", "PatStatus|patient status", ParsePatientStatus, func(r *Patient) *PatientStatus { return &r.Status }),
		enumCol("gender", "sex", ParseGender, func(r *Patient) *Gender { return &r.Gender }),
		dateCol("birth_date", "Birthdate|DOB|date of birth|birthday", func(r *Patient) *Date { return &r.BirthDate }),
	},
	addressCols(func(r *Patient) *Address { return &r.Address }),
	[]column[Patient]{
		strCol("home_phone", "HmPhone|home|phone home", func(r *Patient) *string { return &r.HomePhone }),
		strCol("work_phone", "WkPhone|work|phone work|business phone", func(r *Patient) *string { return &r.WorkPhone }),
		strCol("mobile_phone", "WirelessPhone|cell phone|mobile|cell|wireless|cellphone", func(r *Patient) *string { return &r.MobilePhone }),
		strCol("email", "email address|e-mail", func(r *Patient) *string { return &r.Email }),
		idCol("guarantor_id", "Guarantor|guarantor num|head of household", func(r *Patient) *Key { return &r.GuarantorID }),
		idCol("office_id", "ClinicNum|clinic|clinic id|office|primary office", func(r *Patient) *Key { return &r.OfficeID }),
		idCol("provider_id", "PriProv|primary provider|provider", func(r *Patient) *Key { return &r.ProviderID }),
		idCol("hygienist_id", "SecProv|secondary provider|hygienist", func(r *Patient) *Key { return &r.HygienistID }),
		idCol("assigned_staff_id", "owner|owner id|assigned to|assigned staff", func(r *Patient) *Key { return &r.AssignedStaffID }),
		enumCol("contact_method", "PreferContactMethod|preferred contact|preferred contact method", ParseContactMethod, func(r *Patient) *ContactMethod { return &r.ContactMethod }),
		enumCol("text_consent", "TxtMsgOk|text ok|sms consent|text message ok", ParseConsent, func(r *Patient) *Consent { return &r.TextConsent }),
		enumCol("email_consent", "email ok", ParseConsent, func(r *Patient) *Consent { return &r.EmailConsent }),
		strCol("language", "lang|preferred language", func(r *Patient) *string { return &r.Language }),
		strCol("chart_number", "ChartNumber|chart|chart no", func(r *Patient) *string { return &r.ChartNumber }),
		dateCol("first_visit", "DateFirstVisit|first visit date", func(r *Patient) *Date { return &r.FirstVisit }),
		idListCol("cohort_ids", "cohorts|tags|tag ids", func(r *Patient) *[]Key { return &r.CohortIDs }),
		strCol("notes", "note|patient note|comments", func(r *Patient) *string { return &r.Notes }),
	},
	stamps(func(r *Patient) *time.Time { return &r.CreatedAt }, func(r *Patient) *time.Time { return &r.UpdatedAt }),
)

var appointmentColumns = cat(
	[]column[Appointment]{
		idCol("appointment_id", "AptNum|appointment num|appt id|id", func(r *Appointment) *Key { return &r.ID }),
		idCol("patient_id", "PatNum|Patient ID|patient", func(r *Appointment) *Key { return &r.PatientID }),
		idCol("office_id", "ClinicNum|clinic|office", func(r *Appointment) *Key { return &r.OfficeID }),
		idCol("provider_id", "ProvNum|provider", func(r *Appointment) *Key { return &r.ProviderID }),
		idCol("hygienist_id", "ProvHyg|hygienist", func(r *Appointment) *Key { return &r.HygienistID }),
		enumCol("status", "AptStatus|appointment status", ParseAppointmentStatus, func(r *Appointment) *AppointmentStatus { return &r.Status }),
		timeCol("start", "AptDateTime|appointment date|date time|start time|scheduled at", func(r *Appointment) *time.Time { return &r.Start }),
		durationCol("duration_minutes", "Pattern|length|duration|minutes", func(r *Appointment) *int { return &r.DurationMinutes }),
		strCol("confirmation", "Confirmed|confirmation status", func(r *Appointment) *string { return &r.Confirmation }),
		boolCol("is_new_patient", "IsNewPatient|new patient", func(r *Appointment) *bool { return &r.IsNewPatient }),
		boolCol("is_hygiene", "IsHygiene|hygiene", func(r *Appointment) *bool { return &r.IsHygiene }),
		strCol("procedure_description", "ProcDescript|procedures|treatment type", func(r *Appointment) *string { return &r.ProcedureDescription }),
		strCol("note", "Note|notes|appointment note", func(r *Appointment) *string { return &r.Note }),
	},
	stamps(func(r *Appointment) *time.Time { return &r.CreatedAt }, func(r *Appointment) *time.Time { return &r.UpdatedAt }),
)

var procedureColumns = cat(
	[]column[Procedure]{
		idCol("procedure_id", "ProcNum|procedure num|id", func(r *Procedure) *Key { return &r.ID }),
		idCol("patient_id", "PatNum|Patient ID|patient", func(r *Procedure) *Key { return &r.PatientID }),
		idCol("appointment_id", "AptNum|appointment", func(r *Procedure) *Key { return &r.AppointmentID }),
		idCol("treatment_plan_id", "TreatPlanNum|treatment plan|case id", func(r *Procedure) *Key { return &r.TreatmentPlanID }),
		idCol("office_id", "ClinicNum|clinic|office", func(r *Procedure) *Key { return &r.OfficeID }),
		idCol("provider_id", "ProvNum|provider", func(r *Procedure) *Key { return &r.ProviderID }),
		strCol("code", "ProcCode|procedure code|cdt code|cdt|adacode", func(r *Procedure) *string { return &r.Code }),
		strCol("description", "Descript|procedure description|procedure name", func(r *Procedure) *string { return &r.Description }),
		strCol("tooth", "ToothNum|tooth number|tooth num", func(r *Procedure) *string { return &r.Tooth }),
		strCol("surface", "Surf|surfaces", func(r *Procedure) *string { return &r.Surface }),
		centsCol("fee", "ProcFee|amount|procedure fee", func(r *Procedure) *Cents { return &r.Fee }),
		enumCol("status", "ProcStatus|procedure status", ParseProcedureStatus, func(r *Procedure) *ProcedureStatus { return &r.Status }),
		dateCol("date", "ProcDate|procedure date|date of service|service date", func(r *Procedure) *Date { return &r.Date }),
		strCol("note", "notes", func(r *Procedure) *string { return &r.Note }),
	},
	stamps(func(r *Procedure) *time.Time { return &r.CreatedAt }, func(r *Procedure) *time.Time { return &r.UpdatedAt }),
)

var treatmentPlanColumns = cat(
	[]column[TreatmentPlan]{
		idCol("treatment_plan_id", "TreatPlanNum|case id|plan id|id", func(r *TreatmentPlan) *Key { return &r.ID }),
		idCol("patient_id", "PatNum|Patient ID|patient", func(r *TreatmentPlan) *Key { return &r.PatientID }),
		idCol("office_id", "ClinicNum|clinic|office", func(r *TreatmentPlan) *Key { return &r.OfficeID }),
		idCol("staff_id", "UserNumPresenter|presenter|ProvNum|provider", func(r *TreatmentPlan) *Key { return &r.StaffID }),
		strCol("heading", "Heading|title|name", func(r *TreatmentPlan) *string { return &r.Heading }),
		strCol("pipeline", "case pipeline", func(r *TreatmentPlan) *string { return &r.Pipeline }),
		strCol("stage", "case stage|pipeline stage", func(r *TreatmentPlan) *string { return &r.Stage }),
		enumCol("status", "TPStatus|plan status", ParseTreatmentPlanStatus, func(r *TreatmentPlan) *TreatmentPlanStatus { return &r.Status }),
		centsCol("amount", "presented amount|total|total fee", func(r *TreatmentPlan) *Cents { return &r.Amount }),
		centsCol("accepted_amount", "accepted|amount accepted", func(r *TreatmentPlan) *Cents { return &r.AcceptedAmount }),
		intCol("probability", "probability %|win probability", func(r *TreatmentPlan) *int { return &r.Probability }),
		dateCol("presented_on", "DateTP|date presented|presented date", func(r *TreatmentPlan) *Date { return &r.PresentedOn }),
		idListCol("procedure_ids", "procedures|ProcNums", func(r *TreatmentPlan) *[]Key { return &r.ProcedureIDs }),
		strCol("note", "Note|notes", func(r *TreatmentPlan) *string { return &r.Note }),
	},
	stamps(func(r *TreatmentPlan) *time.Time { return &r.CreatedAt }, func(r *TreatmentPlan) *time.Time { return &r.UpdatedAt }),
)

var carrierColumns = cat(
	[]column[InsuranceCarrier]{
		idCol("carrier_id", "CarrierNum|insurance carrier id|payer num|id", func(r *InsuranceCarrier) *Key { return &r.ID }),
		strCol("name", "CarrierName|carrier|carrier name|insurance company", func(r *InsuranceCarrier) *string { return &r.Name }),
		strCol("payer_id", "ElectID|electronic id|payer", func(r *InsuranceCarrier) *string { return &r.PayerID }),
		strCol("phone", "phone number", func(r *InsuranceCarrier) *string { return &r.Phone }),
	},
	addressCols(func(r *InsuranceCarrier) *Address { return &r.Address }),
	stamps(func(r *InsuranceCarrier) *time.Time { return &r.CreatedAt }, func(r *InsuranceCarrier) *time.Time { return &r.UpdatedAt }),
)

var coverageColumns = cat(
	[]column[Coverage]{
		idCol("coverage_id", "PatPlanNum|pat plan num|id", func(r *Coverage) *Key { return &r.ID }),
		idCol("patient_id", "PatNum|Patient ID|patient", func(r *Coverage) *Key { return &r.PatientID }),
		idCol("carrier_id", "CarrierNum|carrier", func(r *Coverage) *Key { return &r.CarrierID }),
		idCol("subscriber_patient_id", "Subscriber|subscriber num|policy holder", func(r *Coverage) *Key { return &r.SubscriberPatientID }),
		strCol("subscriber_id", "SubscriberID|member id|policy number", func(r *Coverage) *string { return &r.SubscriberID }),
		strCol("group_name", "GroupName|group", func(r *Coverage) *string { return &r.GroupName }),
		strCol("group_number", "GroupNum|group no", func(r *Coverage) *string { return &r.GroupNumber }),
		enumCol("plan_type", "PlanType", ParsePlanType, func(r *Coverage) *PlanType { return &r.PlanType }),
		intCol("ordinal", "Ordinal|priority", func(r *Coverage) *int { return &r.Ordinal }),
		enumCol("relationship", "Relationship|relation", ParseRelationship, func(r *Coverage) *Relationship { return &r.Relationship }),
		dateCol("effective_date", "DateEffective|effective|start date", func(r *Coverage) *Date { return &r.EffectiveDate }),
		dateCol("term_date", "DateTerm|termination date|end date", func(r *Coverage) *Date { return &r.TermDate }),
	},
	stamps(func(r *Coverage) *time.Time { return &r.CreatedAt }, func(r *Coverage) *time.Time { return &r.UpdatedAt }),
)

var communicationColumns = cat(
	[]column[Communication]{
		idCol("communication_id", "CommlogNum|commlog id|id", func(r *Communication) *Key { return &r.ID }),
		idCol("patient_id", "PatNum|Patient ID|patient", func(r *Communication) *Key { return &r.PatientID }),
		idCol("staff_id", "UserNum|user|staff", func(r *Communication) *Key { return &r.StaffID }),
		idCol("office_id", "ClinicNum|clinic|office", func(r *Communication) *Key { return &r.OfficeID }),
		enumCol("channel", "Mode|mode_|communication type|medium", ParseChannel, func(r *Communication) *Channel { return &r.Channel }),
		enumCol("direction", "SentOrReceived|sent or received", ParseDirection, func(r *Communication) *Direction { return &r.Direction }),
		timeCol("at", "CommDateTime|date time|timestamp|sent at|date", func(r *Communication) *time.Time { return &r.At }),
		strCol("subject", "title", func(r *Communication) *string { return &r.Subject }),
		strCol("body", "Note|message|text|content", func(r *Communication) *string { return &r.Body }),
		strCol("source", "CommSource|origin", func(r *Communication) *string { return &r.Source }),
	},
	stamps(func(r *Communication) *time.Time { return &r.CreatedAt }, func(r *Communication) *time.Time { return &r.UpdatedAt }),
)

var formSubmissionColumns = cat(
	[]column[FormSubmission]{
		idCol("form_submission_id", "SheetNum|submission id|form id|id", func(r *FormSubmission) *Key { return &r.ID }),
		idCol("patient_id", "PatNum|Patient ID|patient", func(r *FormSubmission) *Key { return &r.PatientID }),
		strCol("form_name", "Description|form|name|sheet name", func(r *FormSubmission) *string { return &r.FormName }),
		enumCol("form_type", "SheetType|type", ParseFormType, func(r *FormSubmission) *FormType { return &r.FormType }),
		timeCol("submitted_at", "DateTimeSheet|submitted|date submitted", func(r *FormSubmission) *time.Time { return &r.SubmittedAt }),
		dateCol("signed_on", "signature date|date signed|signed", func(r *FormSubmission) *Date { return &r.SignedOn }),
		{"fields", split("fields_json|answers|field values"),
			func(r *FormSubmission, _ *codecCtx) string {
				if len(r.Fields) == 0 {
					return ""
				}
				b, _ := json.Marshal(r.Fields)
				return string(b)
			},
			func(r *FormSubmission, s string, _ *codecCtx) error {
				if strings.TrimSpace(s) == "" {
					r.Fields = nil
					return nil
				}
				var v []FormField
				if err := json.Unmarshal([]byte(s), &v); err != nil {
					return valueErr("form fields", "not a JSON array of {name, value}")
				}
				r.Fields = v
				return nil
			},
			func(r *FormSubmission) any { return &r.Fields }},
		idListCol("document_ids", "documents|DocNums", func(r *FormSubmission) *[]Key { return &r.DocumentIDs }),
	},
	stamps(func(r *FormSubmission) *time.Time { return &r.CreatedAt }, func(r *FormSubmission) *time.Time { return &r.UpdatedAt }),
)

var documentColumns = cat(
	[]column[Document]{
		idCol("document_id", "DocNum|doc id|id", func(r *Document) *Key { return &r.ID }),
		idCol("patient_id", "PatNum|Patient ID|patient", func(r *Document) *Key { return &r.PatientID }),
		strCol("name", "FileName|file name|document name|title", func(r *Document) *string { return &r.Name }),
		strCol("mime_type", "content type|mime|type", func(r *Document) *string { return &r.MimeType }),
		int64Col("size", "bytes|file size|size bytes", func(r *Document) *int64 { return &r.Size }),
		strCol("sha256", "checksum|hash", func(r *Document) *string { return &r.SHA256 }),
		strCol("category", "DocCategory|folder", func(r *Document) *string { return &r.Category }),
	},
	stamps(func(r *Document) *time.Time { return &r.CreatedAt }, func(r *Document) *time.Time { return &r.UpdatedAt }),
)

var customPropertyColumns = cat(
	[]column[CustomPropertyDefinition]{
		idCol("custom_property_id", "property id|field id|id", func(r *CustomPropertyDefinition) *Key { return &r.ID }),
		strCol("key", "field key|property key|api name", func(r *CustomPropertyDefinition) *string { return &r.Key }),
		strCol("name", "label|property name|field name|display name", func(r *CustomPropertyDefinition) *string { return &r.Name }),
		enumCol("type", "data type|field type|property type", ParseCustomPropertyType, func(r *CustomPropertyDefinition) *CustomPropertyType { return &r.Type }),
		enumCol("entity", "object|applies to", ParseEntity, func(r *CustomPropertyDefinition) *Entity { return &r.Entity }),
		stringListCol("options", "pick list options|choices|values|picklist", func(r *CustomPropertyDefinition) *[]string { return &r.Options }),
		strCol("description", "help text", func(r *CustomPropertyDefinition) *string { return &r.Description }),
	},
	stamps(func(r *CustomPropertyDefinition) *time.Time { return &r.CreatedAt }, func(r *CustomPropertyDefinition) *time.Time { return &r.UpdatedAt }),
)

var kpiDefinitionColumns = cat(
	[]column[KPIDefinition]{
		idCol("kpi_id", "kpi definition id|metric id|id", func(r *KPIDefinition) *Key { return &r.ID }),
		strCol("key", "metric key|code", func(r *KPIDefinition) *string { return &r.Key }),
		strCol("name", "metric|kpi|kpi name|metric name", func(r *KPIDefinition) *string { return &r.Name }),
		enumCol("unit", "units|value type", ParseKPIUnit, func(r *KPIDefinition) *KPIUnit { return &r.Unit }),
		strCol("period", "frequency|granularity", func(r *KPIDefinition) *string { return &r.Period }),
		strCol("formula", "calculation", func(r *KPIDefinition) *string { return &r.Formula }),
		strCol("description", "", func(r *KPIDefinition) *string { return &r.Description }),
	},
	stamps(func(r *KPIDefinition) *time.Time { return &r.CreatedAt }, func(r *KPIDefinition) *time.Time { return &r.UpdatedAt }),
)

var kpiValueColumns = cat(
	[]column[KPIValue]{
		idCol("kpi_value_id", "value id|id", func(r *KPIValue) *Key { return &r.ID }),
		idCol("kpi_id", "kpi|metric id|kpi definition id", func(r *KPIValue) *Key { return &r.KPIID }),
		idCol("office_id", "ClinicNum|clinic|office", func(r *KPIValue) *Key { return &r.OfficeID }),
		dateCol("period_start", "from|start|start date", func(r *KPIValue) *Date { return &r.PeriodStart }),
		dateCol("period_end", "to|end|end date", func(r *KPIValue) *Date { return &r.PeriodEnd }),
		int64Col("value", "amount", func(r *KPIValue) *int64 { return &r.Value }),
	},
	stamps(func(r *KPIValue) *time.Time { return &r.CreatedAt }, func(r *KPIValue) *time.Time { return &r.UpdatedAt }),
)

var cohortColumns = cat(
	[]column[Cohort]{
		idCol("cohort_id", "tag id|segment id|id", func(r *Cohort) *Key { return &r.ID }),
		strCol("name", "tag|cohort|segment|cohort name", func(r *Cohort) *string { return &r.Name }),
		strCol("description", "", func(r *Cohort) *string { return &r.Description }),
		strCol("criteria", "filter|rule|definition", func(r *Cohort) *string { return &r.Criteria }),
		int64Col("patient_count", "patients|count|size|members", func(r *Cohort) *int64 { return &r.PatientCount }),
	},
	stamps(func(r *Cohort) *time.Time { return &r.CreatedAt }, func(r *Cohort) *time.Time { return &r.UpdatedAt }),
)

var automationColumns = cat(
	[]column[Automation]{
		idCol("automation_id", "workflow id|campaign id|template id|id", func(r *Automation) *Key { return &r.ID }),
		strCol("name", "workflow|campaign|title", func(r *Automation) *string { return &r.Name }),
		enumCol("kind", "type", ParseAutomationKind, func(r *Automation) *AutomationKind { return &r.Kind }),
		strCol("trigger", "event|when", func(r *Automation) *string { return &r.Trigger }),
		enumCol("channel", "mode|medium", ParseChannel, func(r *Automation) *Channel { return &r.Channel }),
		strCol("steps", "actions|content|body", func(r *Automation) *string { return &r.Steps }),
		boolCol("active", "enabled|is active|status", func(r *Automation) *bool { return &r.Active }),
	},
	stamps(func(r *Automation) *time.Time { return &r.CreatedAt }, func(r *Automation) *time.Time { return &r.UpdatedAt }),
)

// deletionColumns describe the optional deletions.csv.
var deletionColumns = []column[Deletion]{
	enumCol("entity", "table|object|type", ParseEntity, func(r *Deletion) *Entity { return &r.Entity }),
	idCol("id", "record id|key|primary key", func(r *Deletion) *Key { return &r.ID }),
	timeCol("deleted_at", "date deleted|deleted|DateTStamp|timestamp", func(r *Deletion) *time.Time { return &r.DeletedAt }),
}

// DeletionsFileName is the optional CSV file of deletions in an export folder.
const DeletionsFileName = "deletions.csv"

// DocumentsDir is the folder of an export that holds document contents, one
// file per document named by its id ("documents/4711").
const DocumentsDir = "documents"

func headerOf[T any](cols []column[T]) []string {
	h := make([]string, len(cols))
	for i, c := range cols {
		h[i] = c.name
	}
	return h
}

// CSVHeader returns the canonical header of e's CSV file, in canonical column
// order; nil for an unknown entity. A writer appends one column per custom
// property key after these (see [CSVRow]). The slice is a fresh copy.
func CSVHeader(e Entity) []string {
	switch e {
	case EntityOffices:
		return headerOf(officeColumns)
	case EntityStaff:
		return headerOf(staffColumns)
	case EntityPatients:
		return headerOf(patientColumns)
	case EntityAppointments:
		return headerOf(appointmentColumns)
	case EntityProcedures:
		return headerOf(procedureColumns)
	case EntityTreatmentPlans:
		return headerOf(treatmentPlanColumns)
	case EntityInsuranceCarriers:
		return headerOf(carrierColumns)
	case EntityCoverages:
		return headerOf(coverageColumns)
	case EntityCommunications:
		return headerOf(communicationColumns)
	case EntityFormSubmissions:
		return headerOf(formSubmissionColumns)
	case EntityDocuments:
		return headerOf(documentColumns)
	case EntityCustomProperties:
		return headerOf(customPropertyColumns)
	case EntityKPIDefinitions:
		return headerOf(kpiDefinitionColumns)
	case EntityKPIValues:
		return headerOf(kpiValueColumns)
	case EntityCohorts:
		return headerOf(cohortColumns)
	case EntityAutomations:
		return headerOf(automationColumns)
	}
	return nil
}

// DeletionsHeader is the canonical header of deletions.csv.
func DeletionsHeader() []string { return headerOf(deletionColumns) }

func rowOf[T any](cols []column[T], r *T, c *codecCtx, custom map[string]string, keys []string) []string {
	row := make([]string, 0, len(cols)+len(keys))
	for _, col := range cols {
		row = append(row, col.format(r, c))
	}
	for _, k := range keys {
		row = append(row, custom[k])
	}
	return row
}

// CustomColumnPrefix starts the header of a canonical custom-value column:
// "custom.case_type" holds Custom["case_type"].
const CustomColumnPrefix = "custom."

// CSVCustomHeader returns the canonical header of the column holding
// Custom[key].
func CSVCustomHeader(key string) string { return CustomColumnPrefix + key }

// CSVRow returns rec as a canonical CSV row matching [CSVHeader] of its
// entity, followed by rec's Custom values for customKeys (one column each, in
// that order, headed [CSVCustomHeader](key); a missing key is "").
// Timestamps are written as wall-clock time in loc (nil means UTC) with the
// offset, as [FormatTimestamp] does.
func CSVRow[R Record](rec *R, loc *time.Location, customKeys []string) []string {
	c := &codecCtx{loc: loc}
	if c.loc == nil {
		c.loc = time.UTC
	}
	switch r := any(rec).(type) {
	case *Office:
		return rowOf(officeColumns, r, c, r.Custom, customKeys)
	case *Staff:
		return rowOf(staffColumns, r, c, r.Custom, customKeys)
	case *Patient:
		return rowOf(patientColumns, r, c, r.Custom, customKeys)
	case *Appointment:
		return rowOf(appointmentColumns, r, c, r.Custom, customKeys)
	case *Procedure:
		return rowOf(procedureColumns, r, c, r.Custom, customKeys)
	case *TreatmentPlan:
		return rowOf(treatmentPlanColumns, r, c, r.Custom, customKeys)
	case *InsuranceCarrier:
		return rowOf(carrierColumns, r, c, r.Custom, customKeys)
	case *Coverage:
		return rowOf(coverageColumns, r, c, r.Custom, customKeys)
	case *Communication:
		return rowOf(communicationColumns, r, c, r.Custom, customKeys)
	case *FormSubmission:
		return rowOf(formSubmissionColumns, r, c, r.Custom, customKeys)
	case *Document:
		return rowOf(documentColumns, r, c, r.Custom, customKeys)
	case *CustomPropertyDefinition:
		return rowOf(customPropertyColumns, r, c, r.Custom, customKeys)
	case *KPIDefinition:
		return rowOf(kpiDefinitionColumns, r, c, r.Custom, customKeys)
	case *KPIValue:
		return rowOf(kpiValueColumns, r, c, r.Custom, customKeys)
	case *Cohort:
		return rowOf(cohortColumns, r, c, r.Custom, customKeys)
	case *Automation:
		return rowOf(automationColumns, r, c, r.Custom, customKeys)
	}
	panic("unreachable: Record type set is closed")
}

// DeletionRow returns d as a canonical deletions.csv row.
func DeletionRow(d Deletion, loc *time.Location) []string {
	if loc == nil {
		loc = time.UTC
	}
	return rowOf(deletionColumns, &d, &codecCtx{loc: loc}, nil, nil)
}

// EntityOf returns the entity of a record type.
func EntityOf[R Record]() Entity {
	var zero R
	switch any(zero).(type) {
	case Office:
		return EntityOffices
	case Staff:
		return EntityStaff
	case Patient:
		return EntityPatients
	case Appointment:
		return EntityAppointments
	case Procedure:
		return EntityProcedures
	case TreatmentPlan:
		return EntityTreatmentPlans
	case InsuranceCarrier:
		return EntityInsuranceCarriers
	case Coverage:
		return EntityCoverages
	case Communication:
		return EntityCommunications
	case FormSubmission:
		return EntityFormSubmissions
	case Document:
		return EntityDocuments
	case CustomPropertyDefinition:
		return EntityCustomProperties
	case KPIDefinition:
		return EntityKPIDefinitions
	case KPIValue:
		return EntityKPIValues
	case Cohort:
		return EntityCohorts
	case Automation:
		return EntityAutomations
	}
	panic("unreachable: Record type set is closed")
}

// columnSpec is an entity's columns seen from outside: canonical header,
// the record field each fills, and the header lookup (names and aliases).
type columnSpec struct {
	names  []string
	fields []string       // record field path per column ("lastName", "address.city")
	index  map[string]int // normKey(name or alias) → column
	idCol  int
}

func specOf[T any](m *meta[T]) columnSpec {
	s := columnSpec{index: m.index, idCol: m.idIndex}
	for _, c := range m.cols {
		s.names = append(s.names, c.name)
		s.fields = append(s.fields, recordFieldOf(c))
	}
	return s
}

var columnSpecs = sync.OnceValue(func() map[Entity]columnSpec {
	return map[Entity]columnSpec{
		EntityOffices: specOf(officeMeta), EntityStaff: specOf(staffMeta), EntityPatients: specOf(patientMeta),
		EntityAppointments: specOf(appointmentMeta), EntityProcedures: specOf(procedureMeta),
		EntityTreatmentPlans: specOf(treatmentPlanMeta), EntityInsuranceCarriers: specOf(carrierMeta),
		EntityCoverages: specOf(coverageMeta), EntityCommunications: specOf(communicationMeta),
		EntityFormSubmissions: specOf(formSubmissionMeta), EntityDocuments: specOf(documentMeta),
		EntityCustomProperties: specOf(customPropertyMeta), EntityKPIDefinitions: specOf(kpiDefinitionMeta),
		EntityKPIValues: specOf(kpiValueMeta), EntityCohorts: specOf(cohortMeta), EntityAutomations: specOf(automationMeta),
	}
})

// recordFieldOf names the record field column c fills the way
// mapping.Struct and the JSON form name it: json names of the field and
// of the structs it is nested in, joined with ".".
func recordFieldOf[T any](c column[T]) string {
	var t T
	base := reflect.ValueOf(&t).Pointer()
	p := reflect.ValueOf(c.ptr(&t))
	return fieldAt(reflect.TypeOf(t), p.Pointer()-base, p.Type().Elem(), "")
}

func fieldAt(typ reflect.Type, off uintptr, want reflect.Type, prefix string) string {
	for i := range typ.NumField() {
		f := typ.Field(i)
		if off < f.Offset || off >= f.Offset+f.Type.Size() {
			continue
		}
		name, _, _ := strings.Cut(f.Tag.Get("json"), ",")
		if name == "" || name == "-" {
			name = f.Name
		}
		if off == f.Offset && f.Type == want {
			return prefix + name
		}
		if f.Type.Kind() == reflect.Struct {
			return fieldAt(f.Type, off-f.Offset, want, prefix+name+".")
		}
	}
	return ""
}

// FieldColumn returns the canonical CSV header of a record field of
// entity e ("lastName" → "last_name", "address.city" → "city"), and the
// other headers the reader accepts for it; "" when e has no column for
// field (an unknown field, or one a map computes). For a report file
// ([FileEntity]) every field is a column of its own name.
func FieldColumn(e Entity, field string) (header string, aliases []string) {
	s, ok := columnSpecs()[e]
	if !ok && FileEntity(e) {
		if strings.Contains(field, "+") {
			return "", nil // a composite key of several columns (mapping.Object.KeyOf)
		}
		return field, nil // a report file's fields are its columns (files.go)
	}
	if !ok {
		return "", nil
	}
	for i, f := range s.fields {
		if f == field {
			return s.names[i], headerAliases(e, i)
		}
	}
	return "", nil
}

func headerAliases(e Entity, i int) []string {
	switch e {
	case EntityOffices:
		return officeMeta.cols[i].aliases
	case EntityStaff:
		return staffMeta.cols[i].aliases
	case EntityPatients:
		return patientMeta.cols[i].aliases
	case EntityAppointments:
		return appointmentMeta.cols[i].aliases
	case EntityProcedures:
		return procedureMeta.cols[i].aliases
	case EntityTreatmentPlans:
		return treatmentPlanMeta.cols[i].aliases
	case EntityInsuranceCarriers:
		return carrierMeta.cols[i].aliases
	case EntityCoverages:
		return coverageMeta.cols[i].aliases
	case EntityCommunications:
		return communicationMeta.cols[i].aliases
	case EntityFormSubmissions:
		return formSubmissionMeta.cols[i].aliases
	case EntityDocuments:
		return documentMeta.cols[i].aliases
	case EntityCustomProperties:
		return customPropertyMeta.cols[i].aliases
	case EntityKPIDefinitions:
		return kpiDefinitionMeta.cols[i].aliases
	case EntityKPIValues:
		return kpiValueMeta.cols[i].aliases
	case EntityCohorts:
		return cohortMeta.cols[i].aliases
	case EntityAutomations:
		return automationMeta.cols[i].aliases
	}
	return nil
}

// FileColumns is what the header of one export file provides.
type FileColumns struct {
	File string // the file's name in the folder; "" when the export has none for the entity
	// Fields are the record fields the header has a column for (names as in
	// [FieldColumn]), then "custom.<key>" for every other column, which the
	// reader keeps as a custom value.
	Fields []string
}

// Has reports whether the header has a column for record field f.
func (c FileColumns) Has(f string) bool { return slices.Contains(c.Fields, f) }

// Columns reads the header of entity e's file (only the header) and says
// which record fields it provides: a map rule reading a field the file has
// no column for reads "" for every record. The header is read like the
// rows are (encoding, mark), so a file the reader refuses is refused here
// too, with the same *FileError.
func (r *ExportReader) Columns(ctx context.Context, e Entity) (FileColumns, error) {
	if err := ctx.Err(); err != nil {
		return FileColumns{}, err
	}
	spec, ok := columnSpecs()[e]
	if !ok && FileEntity(e) {
		return r.fileColumns(string(e)) // a report file: its header (files.go)
	}
	if !ok {
		return FileColumns{}, fmt.Errorf("practicebynumbers: columns of %q: unknown entity", e)
	}
	name := r.files[e]
	out := FileColumns{File: name}
	if name == "" {
		return out, nil
	}
	f, cr, _, err := r.openCSV(name, false)
	if err != nil {
		return out, err
	}
	defer f.Close()
	header, err := cr.Read()
	if err == io.EOF {
		return out, nil
	}
	if err != nil {
		return out, &FileError{File: name, Err: fmt.Errorf("header: %w", err)}
	}
	taken := make([]bool, len(spec.names))
	var custom []string
	for i, h := range header {
		h = strings.TrimSpace(strings.TrimPrefix(h, "\uFEFF"))
		if bad := firstInvalidUTF8(h); bad >= 0 {
			return out, &FileError{File: name, Err: &EncodingError{Line: 1, Column: i + 1,
				Reason: fmt.Sprintf("header of column %d is not valid UTF-8: name the file's encoding (e.g. windows-1252)", i+1)}}
		}
		if key, ok := cutPrefixFold(h, CustomColumnPrefix); ok && key != "" {
			custom = append(custom, "custom."+key)
			continue
		}
		if j, ok := spec.index[normKey(h)]; ok && !taken[j] {
			taken[j] = true
			continue
		}
		custom = append(custom, "custom."+h)
	}
	for j, t := range taken {
		if t {
			out.Fields = append(out.Fields, spec.fields[j])
		}
	}
	out.Fields = append(out.Fields, custom...)
	return out, nil
}
