package practicebynumbers

import (
	"fmt"
	"strings"
	"unicode"
)

// PatientStatus is Open Dental's PatStatus.
type PatientStatus string

// Patient statuses. Only PatientStatusPatient is an active patient.
const (
	PatientStatusPatient     PatientStatus = "Patient"
	PatientStatusNonPatient  PatientStatus = "NonPatient"
	PatientStatusInactive    PatientStatus = "Inactive"
	PatientStatusArchived    PatientStatus = "Archived"
	PatientStatusDeleted     PatientStatus = "Deleted"
	PatientStatusDeceased    PatientStatus = "Deceased"
	PatientStatusProspective PatientStatus = "Prospective"
)

// Gender of a patient.
type Gender string

// Genders.
const (
	GenderMale    Gender = "Male"
	GenderFemale  Gender = "Female"
	GenderUnknown Gender = "Unknown"
	GenderOther   Gender = "Other"
)

// ContactMethod is the patient's preferred contact method (Open Dental
// PreferContactMethod).
type ContactMethod string

// Contact methods.
const (
	ContactMethodNone      ContactMethod = "None"
	ContactMethodDoNotCall ContactMethod = "DoNotCall"
	ContactMethodHomePhone ContactMethod = "HmPhone"
	ContactMethodWorkPhone ContactMethod = "WkPhone"
	ContactMethodMobile    ContactMethod = "WirelessPh"
	ContactMethodEmail     ContactMethod = "Email"
	ContactMethodSeeNotes  ContactMethod = "SeeNotes"
	ContactMethodMail      ContactMethod = "Mail"
	ContactMethodText      ContactMethod = "TextMessage"
)

// Consent is a tri-state permission (Open Dental TxtMsgOk: 0 unknown, 1 yes,
// 2 no).
type Consent string

// Consents.
const (
	ConsentUnknown Consent = "Unknown"
	ConsentYes     Consent = "Yes"
	ConsentNo      Consent = "No"
)

// AppointmentStatus is Open Dental's AptStatus. PtNote and PtNoteCompleted
// are sticky notes on the schedule, not visits.
type AppointmentStatus string

// Appointment statuses.
const (
	AppointmentScheduled       AppointmentStatus = "Scheduled"
	AppointmentComplete        AppointmentStatus = "Complete"
	AppointmentUnscheduled     AppointmentStatus = "UnschedList"
	AppointmentBroken          AppointmentStatus = "Broken"
	AppointmentPlanned         AppointmentStatus = "Planned"
	AppointmentPtNote          AppointmentStatus = "PtNote"
	AppointmentPtNoteCompleted AppointmentStatus = "PtNoteCompleted"
)

// IsVisit reports whether the appointment is a visit rather than a sticky
// note.
func (s AppointmentStatus) IsVisit() bool {
	return s != AppointmentPtNote && s != AppointmentPtNoteCompleted
}

// ProcedureStatus is Open Dental's ProcStatus.
type ProcedureStatus string

// Procedure statuses.
const (
	ProcedureTreatmentPlanned ProcedureStatus = "TP"
	ProcedureComplete         ProcedureStatus = "C"
	ProcedureExistingCurrent  ProcedureStatus = "EC"
	ProcedureExistingOther    ProcedureStatus = "EO"
	ProcedureReferred         ProcedureStatus = "R"
	ProcedureDeleted          ProcedureStatus = "D"
	ProcedureCondition        ProcedureStatus = "Cn"
	ProcedureTPInactive       ProcedureStatus = "TPi"
)

// IsProduction reports whether the procedure counts as production (complete
// work). Deleted, existing and referred procedures do not.
func (s ProcedureStatus) IsProduction() bool { return s == ProcedureComplete }

// TreatmentPlanStatus is Open Dental's TPStatus.
type TreatmentPlanStatus string

// Treatment plan statuses.
const (
	TreatmentPlanSaved    TreatmentPlanStatus = "Saved"
	TreatmentPlanActive   TreatmentPlanStatus = "Active"
	TreatmentPlanInactive TreatmentPlanStatus = "Inactive"
)

// PlanType is the insurance plan type.
type PlanType string

// Plan types (Open Dental: "" percentage, "p" PPO, "f" flat copay, "c"
// capitation).
const (
	PlanPercentage PlanType = "Percentage"
	PlanPPO        PlanType = "PPO"
	PlanFlatCopay  PlanType = "FlatCopay"
	PlanCapitation PlanType = "Capitation"
)

// Relationship of the patient to the subscriber.
type Relationship string

// Relationships.
const (
	RelationshipSelf          Relationship = "Self"
	RelationshipSpouse        Relationship = "Spouse"
	RelationshipChild         Relationship = "Child"
	RelationshipEmployee      Relationship = "Employee"
	RelationshipHandicapDep   Relationship = "HandicapDep"
	RelationshipSignifOther   Relationship = "SignifOther"
	RelationshipInjuredPlaint Relationship = "InjuredPlaintiff"
	RelationshipLifePartner   Relationship = "LifePartner"
	RelationshipDependent     Relationship = "Dependent"
)

// Channel of a communication.
type Channel string

// Channels.
const (
	ChannelSMS      Channel = "SMS"
	ChannelEmail    Channel = "Email"
	ChannelCall     Channel = "Call"
	ChannelLetter   Channel = "Letter"
	ChannelReminder Channel = "Reminder"
	ChannelRecall   Channel = "Recall"
)

// Direction of a communication.
type Direction string

// Directions.
const (
	DirectionInbound  Direction = "Inbound"
	DirectionOutbound Direction = "Outbound"
)

// FormType is the kind of an online form.
type FormType string

// Form types.
const (
	FormPatient        FormType = "PatientForm"
	FormConsent        FormType = "Consent"
	FormMedicalHistory FormType = "MedicalHistory"
	FormOther          FormType = "Other"
)

// CustomPropertyType is the value type of a custom property.
type CustomPropertyType string

// Custom property types.
const (
	CustomText     CustomPropertyType = "text"
	CustomNumber   CustomPropertyType = "number"
	CustomDate     CustomPropertyType = "date"
	CustomPickList CustomPropertyType = "picklist"
)

// KPIUnit is the unit of a KPI value (and the scale of [KPIValue.Value]).
type KPIUnit string

// KPI units.
const (
	KPICurrency KPIUnit = "currency" // cents
	KPIPercent  KPIUnit = "percent"  // basis points
	KPICount    KPIUnit = "count"    // units
	KPIDuration KPIUnit = "duration" // minutes
)

// StaffKind tells a provider (from the PMS) from a PbN user.
type StaffKind string

// Staff kinds.
const (
	StaffProvider StaffKind = "provider"
	StaffUser     StaffKind = "user"
)

// AutomationKind is the kind of an automation inventory entry.
type AutomationKind string

// Automation kinds.
const (
	AutomationWorkflow AutomationKind = "workflow"
	AutomationCampaign AutomationKind = "campaign"
	AutomationTemplate AutomationKind = "template"
)

// enumTable maps a normalised spelling (see normKey) to a canonical value.
type enumTable[E ~string] map[string]E

func newEnumTable[E ~string](values []E, aliases map[string]E) enumTable[E] {
	t := make(enumTable[E], len(values)+len(aliases))
	for _, v := range values {
		t[normKey(string(v))] = v
	}
	for a, v := range aliases {
		t[normKey(a)] = v
	}
	return t
}

// canonical finds s when it is spelled exactly as a canonical value, the
// common case, without normalising (which allocates).
func canonical[E ~string](t enumTable[E], s string) (E, bool) {
	if len(s) == 0 || len(s) > 32 {
		return "", false
	}
	var buf [32]byte
	n := 0
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c >= 'A' && c <= 'Z':
			buf[n] = c + ('a' - 'A')
		case c >= 'a' && c <= 'z', c >= '0' && c <= '9':
			buf[n] = c
		default:
			return "", false // punctuation or non-ASCII: take the general path
		}
		n++
	}
	v, ok := t[string(buf[:n])] // no allocation: map index by converted bytes
	return v, ok
}

// parse accepts any case and punctuation of a canonical value or an alias,
// Open Dental numeric codes included. An empty string yields "" and no error.
func (t enumTable[E]) parse(kind, s string) (E, error) {
	if v, ok := t[s]; ok && s != "" {
		return v, nil // already a normalised key ("0", "tp", ...)
	}
	if v, ok := canonical[E](t, s); ok {
		return v, nil
	}
	k := normKey(s)
	if k == "" {
		return "", nil
	}
	if v, ok := t[k]; ok {
		return v, nil
	}
	return "", &ValueError{Kind: kind, Reason: fmt.Sprintf("unknown %s", kind)}
}

var (
	patientStatuses = newEnumTable([]PatientStatus{PatientStatusPatient, PatientStatusNonPatient,
		PatientStatusInactive, PatientStatusArchived, PatientStatusDeleted, PatientStatusDeceased,
		PatientStatusProspective}, map[string]PatientStatus{
		"0": PatientStatusPatient, "1": PatientStatusNonPatient, "2": PatientStatusInactive,
		"3": PatientStatusArchived, "4": PatientStatusDeleted, "5": PatientStatusDeceased,
		"6": PatientStatusProspective, "active": PatientStatusPatient, "non patient": PatientStatusNonPatient,
		"prospect": PatientStatusProspective,
	})
	genders = newEnumTable([]Gender{GenderMale, GenderFemale, GenderUnknown, GenderOther},
		map[string]Gender{"0": GenderMale, "1": GenderFemale, "2": GenderUnknown, "3": GenderOther,
			"m": GenderMale, "f": GenderFemale, "u": GenderUnknown, "o": GenderOther})
	contactMethods = newEnumTable([]ContactMethod{ContactMethodNone, ContactMethodDoNotCall,
		ContactMethodHomePhone, ContactMethodWorkPhone, ContactMethodMobile, ContactMethodEmail,
		ContactMethodSeeNotes, ContactMethodMail, ContactMethodText}, map[string]ContactMethod{
		"0": ContactMethodNone, "1": ContactMethodDoNotCall, "2": ContactMethodHomePhone,
		"3": ContactMethodWorkPhone, "4": ContactMethodMobile, "5": ContactMethodEmail,
		"6": ContactMethodSeeNotes, "7": ContactMethodMail, "8": ContactMethodText,
		"home phone": ContactMethodHomePhone, "work phone": ContactMethodWorkPhone,
		"wireless phone": ContactMethodMobile, "mobile": ContactMethodMobile, "cell": ContactMethodMobile,
		"text": ContactMethodText, "sms": ContactMethodText, "do not call": ContactMethodDoNotCall,
	})
	consents = newEnumTable([]Consent{ConsentUnknown, ConsentYes, ConsentNo}, map[string]Consent{
		"0": ConsentUnknown, "1": ConsentYes, "2": ConsentNo, "y": ConsentYes, "n": ConsentNo,
		"true": ConsentYes, "false": ConsentNo, "ok": ConsentYes,
	})
	appointmentStatuses = newEnumTable([]AppointmentStatus{AppointmentScheduled, AppointmentComplete,
		AppointmentUnscheduled, AppointmentBroken, AppointmentPlanned, AppointmentPtNote,
		AppointmentPtNoteCompleted}, map[string]AppointmentStatus{
		"1": AppointmentScheduled, "2": AppointmentComplete, "3": AppointmentUnscheduled,
		"5": AppointmentBroken, "6": AppointmentPlanned, "7": AppointmentPtNote,
		"8": AppointmentPtNoteCompleted, "completed": AppointmentComplete,
		"unscheduled": AppointmentUnscheduled, "patient note": AppointmentPtNote,
	})
	procedureStatuses = newEnumTable([]ProcedureStatus{ProcedureTreatmentPlanned, ProcedureComplete,
		ProcedureExistingCurrent, ProcedureExistingOther, ProcedureReferred, ProcedureDeleted,
		ProcedureCondition, ProcedureTPInactive}, map[string]ProcedureStatus{
		"1": ProcedureTreatmentPlanned, "2": ProcedureComplete, "3": ProcedureExistingCurrent,
		"4": ProcedureExistingOther, "5": ProcedureReferred, "6": ProcedureDeleted,
		"7": ProcedureCondition, "8": ProcedureTPInactive, "treatment planned": ProcedureTreatmentPlanned,
		"completed": ProcedureComplete, "complete": ProcedureComplete, "deleted": ProcedureDeleted,
		"existing current": ProcedureExistingCurrent, "existing other": ProcedureExistingOther,
		"referred": ProcedureReferred, "condition": ProcedureCondition,
	})
	treatmentPlanStatuses = newEnumTable([]TreatmentPlanStatus{TreatmentPlanSaved, TreatmentPlanActive,
		TreatmentPlanInactive}, map[string]TreatmentPlanStatus{
		"0": TreatmentPlanSaved, "1": TreatmentPlanActive, "2": TreatmentPlanInactive,
	})
	planTypes = newEnumTable([]PlanType{PlanPercentage, PlanPPO, PlanFlatCopay, PlanCapitation},
		map[string]PlanType{"p": PlanPPO, "f": PlanFlatCopay, "c": PlanCapitation,
			"category percentage": PlanPercentage, "flat copay": PlanFlatCopay, "copay": PlanFlatCopay})
	relationships = newEnumTable([]Relationship{RelationshipSelf, RelationshipSpouse, RelationshipChild,
		RelationshipEmployee, RelationshipHandicapDep, RelationshipSignifOther,
		RelationshipInjuredPlaint, RelationshipLifePartner, RelationshipDependent},
		map[string]Relationship{"0": RelationshipSelf, "1": RelationshipSpouse, "2": RelationshipChild,
			"3": RelationshipEmployee, "4": RelationshipHandicapDep, "5": RelationshipSignifOther,
			"6": RelationshipInjuredPlaint, "7": RelationshipLifePartner, "8": RelationshipDependent})
	channels = newEnumTable([]Channel{ChannelSMS, ChannelEmail, ChannelCall, ChannelLetter,
		ChannelReminder, ChannelRecall}, map[string]Channel{
		"text": ChannelSMS, "phone": ChannelCall, "mail": ChannelLetter, "txt": ChannelSMS,
		"text message": ChannelSMS,
	})
	directions = newEnumTable([]Direction{DirectionInbound, DirectionOutbound}, map[string]Direction{
		"in": DirectionInbound, "out": DirectionOutbound, "received": DirectionInbound,
		"sent": DirectionOutbound, "1": DirectionOutbound, "2": DirectionInbound,
	})
	formTypes = newEnumTable([]FormType{FormPatient, FormConsent, FormMedicalHistory, FormOther},
		map[string]FormType{"intake": FormPatient, "patient": FormPatient, "medical": FormMedicalHistory})
	customPropertyTypes = newEnumTable([]CustomPropertyType{CustomText, CustomNumber, CustomDate,
		CustomPickList}, map[string]CustomPropertyType{"pick list": CustomPickList, "string": CustomText,
		"select": CustomPickList, "dropdown": CustomPickList, "numeric": CustomNumber})
	kpiUnits = newEnumTable([]KPIUnit{KPICurrency, KPIPercent, KPICount, KPIDuration},
		map[string]KPIUnit{"money": KPICurrency, "%": KPIPercent, "minutes": KPIDuration})
	staffKinds      = newEnumTable([]StaffKind{StaffProvider, StaffUser}, nil)
	automationKinds = newEnumTable([]AutomationKind{AutomationWorkflow, AutomationCampaign,
		AutomationTemplate}, nil)
)

// ParsePatientStatus parses a status name (any case) or Open Dental code.
func ParsePatientStatus(s string) (PatientStatus, error) {
	return patientStatuses.parse("patient status", s)
}

// ParseGender parses a gender name, initial or Open Dental code.
func ParseGender(s string) (Gender, error) { return genders.parse("gender", s) }

// ParseContactMethod parses a contact method name or Open Dental code.
func ParseContactMethod(s string) (ContactMethod, error) {
	return contactMethods.parse("contact method", s)
}

// ParseConsent parses Yes/No/Unknown, booleans or Open Dental codes.
func ParseConsent(s string) (Consent, error) { return consents.parse("consent", s) }

// ParseAppointmentStatus parses a status name or Open Dental code.
func ParseAppointmentStatus(s string) (AppointmentStatus, error) {
	return appointmentStatuses.parse("appointment status", s)
}

// ParseProcedureStatus parses TP/C/EC/EO/R/D/Cn/TPi, long names or codes.
func ParseProcedureStatus(s string) (ProcedureStatus, error) {
	return procedureStatuses.parse("procedure status", s)
}

// ParseTreatmentPlanStatus parses a treatment plan status.
func ParseTreatmentPlanStatus(s string) (TreatmentPlanStatus, error) {
	return treatmentPlanStatuses.parse("treatment plan status", s)
}

// ParsePlanType parses a plan type name or Open Dental letter.
func ParsePlanType(s string) (PlanType, error) { return planTypes.parse("plan type", s) }

// ParseRelationship parses a relationship name or Open Dental code.
func ParseRelationship(s string) (Relationship, error) {
	return relationships.parse("relationship", s)
}

// ParseChannel parses a communication channel.
func ParseChannel(s string) (Channel, error) { return channels.parse("channel", s) }

// ParseDirection parses a communication direction.
func ParseDirection(s string) (Direction, error) { return directions.parse("direction", s) }

// ParseFormType parses a form type.
func ParseFormType(s string) (FormType, error) { return formTypes.parse("form type", s) }

// ParseCustomPropertyType parses a custom property type.
func ParseCustomPropertyType(s string) (CustomPropertyType, error) {
	return customPropertyTypes.parse("custom property type", s)
}

// ParseKPIUnit parses a KPI unit.
func ParseKPIUnit(s string) (KPIUnit, error) { return kpiUnits.parse("kpi unit", s) }

// ParseStaffKind parses a staff kind.
func ParseStaffKind(s string) (StaffKind, error) { return staffKinds.parse("staff kind", s) }

// ParseAutomationKind parses an automation kind.
func ParseAutomationKind(s string) (AutomationKind, error) {
	return automationKinds.parse("automation kind", s)
}

// normKey folds case and drops every character that is not a letter or a
// digit, so "Patient ID", "patient_id" and "PatientID" meet; "%" is kept
// because it is a unit on its own.
func normKey(s string) string {
	var b strings.Builder
	b.Grow(len(s))
	for _, r := range s {
		switch {
		case r >= 'a' && r <= 'z', r >= '0' && r <= '9', r == '%':
			b.WriteRune(r)
		case r >= 'A' && r <= 'Z':
			b.WriteRune(r + ('a' - 'A'))
		case r > 127 && (unicode.IsLetter(r) || unicode.IsDigit(r)):
			b.WriteRune(unicode.ToLower(r))
		}
	}
	return b.String()
}
