package practicebynumbers

import "time"

// Times: every time.Time in these models is an instant in UTC with second
// precision. The source's wall-clock zone is kept on [Office.TimeZone] (an IANA
// name); use [Office.Location] to show a time as the practice saw it. A zero
// time.Time means the source had no value (Open Dental's 0001-01-01 00:00:00).
//
// Dates without a time of day (birth dates, coverage dates, procedure dates)
// are [Date]; its zero value means "no date" (0001-01-01 in the source).
//
// Money is [Cents]. Ids and references are [Key]s, opaque strings; the empty
// Key means "none" (ClinicNum 0 = no office).
//
// Custom holds values of columns or JSON members the connector does not model:
// for patients these are the practice's custom properties, keyed by
// [CustomPropertyDefinition.Key]; for a CSV column without a known meaning the
// key is the column's header as written. Custom is nil when empty.

// Office is a practice location (Open Dental: clinic).
type Office struct {
	ID        Key               `json:"id"`
	Name      string            `json:"name"`
	Abbr      string            `json:"abbr,omitempty"`
	Address   Address           `json:"address,omitzero"`
	Phone     string            `json:"phone,omitempty"`
	Email     string            `json:"email,omitempty"`
	Region    string            `json:"region,omitempty"`
	TimeZone  string            `json:"timeZone,omitempty"`
	Active    bool              `json:"active"`
	CreatedAt time.Time         `json:"createdAt,omitzero"`
	UpdatedAt time.Time         `json:"updatedAt,omitzero"`
	Custom    map[string]string `json:"custom,omitempty"`
}

// Location is the office's time zone, or UTC when TimeZone is empty or
// unknown to the host.
func (o Office) Location() *time.Location {
	if o.TimeZone == "" {
		return time.UTC
	}
	loc, err := time.LoadLocation(o.TimeZone)
	if err != nil {
		return time.UTC
	}
	return loc
}

// Address is a postal address as the source holds it (State may be "CA" or
// "Maine"; PostalCode is kept as written).
type Address struct {
	Line1      string `json:"line1,omitempty"`
	Line2      string `json:"line2,omitempty"`
	City       string `json:"city,omitempty"`
	State      string `json:"state,omitempty"`
	PostalCode string `json:"postalCode,omitempty"`
	Country    string `json:"country,omitempty"`
}

// IsZero reports whether every part of the address is empty.
func (a Address) IsZero() bool { return a == Address{} }

// Staff is a provider (dentist, hygienist) or a PbN user. Providers usually
// have no email in the PMS; Email is then empty.
type Staff struct {
	ID          Key               `json:"id"`
	Kind        StaffKind         `json:"kind"`
	Abbr        string            `json:"abbr,omitempty"`
	FirstName   string            `json:"firstName,omitempty"`
	LastName    string            `json:"lastName,omitempty"`
	Email       string            `json:"email,omitempty"`
	Phone       string            `json:"phone,omitempty"`
	Role        string            `json:"role,omitempty"`
	Specialty   string            `json:"specialty,omitempty"`
	IsHygienist bool              `json:"isHygienist"`
	Hidden      bool              `json:"hidden"`
	Active      bool              `json:"active"`
	OfficeIDs   []Key             `json:"officeIds,omitempty"`
	CreatedAt   time.Time         `json:"createdAt,omitzero"`
	UpdatedAt   time.Time         `json:"updatedAt,omitzero"`
	Custom      map[string]string `json:"custom,omitempty"`
}

// Patient is a person in the practice (Open Dental: patient). Phones are kept
// exactly as the source wrote them; mapping/transform.ParsePhone normalises them.
type Patient struct {
	ID              Key               `json:"id"`
	FirstName       string            `json:"firstName,omitempty"`
	LastName        string            `json:"lastName,omitempty"`
	MiddleInitial   string            `json:"middleInitial,omitempty"`
	PreferredName   string            `json:"preferredName,omitempty"`
	Status          PatientStatus     `json:"status"`
	Gender          Gender            `json:"gender,omitempty"`
	BirthDate       Date              `json:"birthDate,omitzero"`
	Address         Address           `json:"address,omitzero"`
	HomePhone       string            `json:"homePhone,omitempty"`
	WorkPhone       string            `json:"workPhone,omitempty"`
	MobilePhone     string            `json:"mobilePhone,omitempty"`
	Email           string            `json:"email,omitempty"`
	GuarantorID     Key               `json:"guarantorId,omitempty"`
	OfficeID        Key               `json:"officeId,omitempty"`
	ProviderID      Key               `json:"providerId,omitempty"`
	HygienistID     Key               `json:"hygienistId,omitempty"`
	AssignedStaffID Key               `json:"assignedStaffId,omitempty"`
	ContactMethod   ContactMethod     `json:"contactMethod,omitempty"`
	TextConsent     Consent           `json:"textConsent,omitempty"`
	EmailConsent    Consent           `json:"emailConsent,omitempty"`
	Language        string            `json:"language,omitempty"`
	ChartNumber     string            `json:"chartNumber,omitempty"`
	FirstVisit      Date              `json:"firstVisit,omitzero"`
	CohortIDs       []Key             `json:"cohortIds,omitempty"`
	Notes           string            `json:"notes,omitempty"`
	CreatedAt       time.Time         `json:"createdAt,omitzero"`
	UpdatedAt       time.Time         `json:"updatedAt,omitzero"`
	Custom          map[string]string `json:"custom,omitempty"`
}

// Appointment is a scheduled, completed, broken or planned visit, or a
// sticky note on the schedule (Status PtNote / PtNoteCompleted: not a visit).
// Start is zero for unscheduled and planned appointments.
type Appointment struct {
	ID                   Key               `json:"id"`
	PatientID            Key               `json:"patientId"`
	OfficeID             Key               `json:"officeId,omitempty"`
	ProviderID           Key               `json:"providerId,omitempty"`
	HygienistID          Key               `json:"hygienistId,omitempty"`
	Status               AppointmentStatus `json:"status"`
	Start                time.Time         `json:"start,omitzero"`
	DurationMinutes      int               `json:"durationMinutes,omitempty"`
	Confirmation         string            `json:"confirmation,omitempty"`
	IsNewPatient         bool              `json:"isNewPatient"`
	IsHygiene            bool              `json:"isHygiene"`
	ProcedureDescription string            `json:"procedureDescription,omitempty"`
	Note                 string            `json:"note,omitempty"`
	CreatedAt            time.Time         `json:"createdAt,omitzero"`
	UpdatedAt            time.Time         `json:"updatedAt,omitzero"`
	Custom               map[string]string `json:"custom,omitempty"`
}

// Procedure is one line of the treatment record (Open Dental: procedurelog).
// Code is the CDT code ("D1110") or a custom, T-, N- or Z-code. Status D
// (deleted) and EC/EO (existing) are not production.
type Procedure struct {
	ID              Key               `json:"id"`
	PatientID       Key               `json:"patientId"`
	AppointmentID   Key               `json:"appointmentId,omitempty"`
	TreatmentPlanID Key               `json:"treatmentPlanId,omitempty"`
	OfficeID        Key               `json:"officeId,omitempty"`
	ProviderID      Key               `json:"providerId,omitempty"`
	Code            string            `json:"code"`
	Description     string            `json:"description,omitempty"`
	Tooth           string            `json:"tooth,omitempty"`
	Surface         string            `json:"surface,omitempty"`
	Fee             Cents             `json:"fee"`
	Status          ProcedureStatus   `json:"status"`
	Date            Date              `json:"date,omitzero"`
	Note            string            `json:"note,omitempty"`
	CreatedAt       time.Time         `json:"createdAt,omitzero"`
	UpdatedAt       time.Time         `json:"updatedAt,omitzero"`
	Custom          map[string]string `json:"custom,omitempty"`
}

// TreatmentPlan is a case presented to a patient, tracked in a pipeline
// (PbN case acceptance). Amount is the presented total; AcceptedAmount the
// part the patient accepted. Probability is a percentage, 0..100.
type TreatmentPlan struct {
	ID             Key                 `json:"id"`
	PatientID      Key                 `json:"patientId"`
	OfficeID       Key                 `json:"officeId,omitempty"`
	StaffID        Key                 `json:"staffId,omitempty"`
	Heading        string              `json:"heading,omitempty"`
	Pipeline       string              `json:"pipeline"`
	Stage          string              `json:"stage"`
	Status         TreatmentPlanStatus `json:"status"`
	Amount         Cents               `json:"amount"`
	AcceptedAmount Cents               `json:"acceptedAmount"`
	Probability    int                 `json:"probability"`
	PresentedOn    Date                `json:"presentedOn,omitzero"`
	ProcedureIDs   []Key               `json:"procedureIds,omitempty"`
	Note           string              `json:"note,omitempty"`
	CreatedAt      time.Time           `json:"createdAt,omitzero"`
	UpdatedAt      time.Time           `json:"updatedAt,omitzero"`
	Custom         map[string]string   `json:"custom,omitempty"`
}

// InsuranceCarrier is a payer.
type InsuranceCarrier struct {
	ID        Key               `json:"id"`
	Name      string            `json:"name"`
	PayerID   string            `json:"payerId,omitempty"`
	Phone     string            `json:"phone,omitempty"`
	Address   Address           `json:"address,omitzero"`
	CreatedAt time.Time         `json:"createdAt,omitzero"`
	UpdatedAt time.Time         `json:"updatedAt,omitzero"`
	Custom    map[string]string `json:"custom,omitempty"`
}

// Coverage links a patient to an insurance plan (Open Dental: PatPlan +
// InsSub + InsPlan). Ordinal 1 is primary, 2 secondary. SubscriberPatientID
// is the patient who holds the policy (the patient themself when
// Relationship is Self).
type Coverage struct {
	ID                  Key               `json:"id"`
	PatientID           Key               `json:"patientId"`
	CarrierID           Key               `json:"carrierId"`
	SubscriberPatientID Key               `json:"subscriberPatientId,omitempty"`
	SubscriberID        string            `json:"subscriberId,omitempty"`
	GroupName           string            `json:"groupName,omitempty"`
	GroupNumber         string            `json:"groupNumber,omitempty"`
	PlanType            PlanType          `json:"planType,omitempty"`
	Ordinal             int               `json:"ordinal"`
	Relationship        Relationship      `json:"relationship,omitempty"`
	EffectiveDate       Date              `json:"effectiveDate,omitzero"`
	TermDate            Date              `json:"termDate,omitzero"`
	CreatedAt           time.Time         `json:"createdAt,omitzero"`
	UpdatedAt           time.Time         `json:"updatedAt,omitzero"`
	Custom              map[string]string `json:"custom,omitempty"`
}

// Communication is one entry of the communication log: an SMS, email, call,
// letter, reminder or recall, with its original timestamp At.
type Communication struct {
	ID        Key               `json:"id"`
	PatientID Key               `json:"patientId"`
	StaffID   Key               `json:"staffId,omitempty"`
	OfficeID  Key               `json:"officeId,omitempty"`
	Channel   Channel           `json:"channel"`
	Direction Direction         `json:"direction"`
	At        time.Time         `json:"at"`
	Subject   string            `json:"subject,omitempty"`
	Body      string            `json:"body,omitempty"`
	Source    string            `json:"source,omitempty"`
	CreatedAt time.Time         `json:"createdAt,omitzero"`
	UpdatedAt time.Time         `json:"updatedAt,omitzero"`
	Custom    map[string]string `json:"custom,omitempty"`
}

// FormField is one answered question of a form, in form order.
type FormField struct {
	Name  string `json:"name"`
	Value string `json:"value"`
}

// FormSubmission is a completed online form (intake, consent, medical
// history). DocumentIDs refer to the stored copies (PbN keeps completed
// forms as documents).
type FormSubmission struct {
	ID          Key               `json:"id"`
	PatientID   Key               `json:"patientId"`
	FormName    string            `json:"formName"`
	FormType    FormType          `json:"formType"`
	SubmittedAt time.Time         `json:"submittedAt,omitzero"`
	SignedOn    Date              `json:"signedOn,omitzero"`
	Fields      []FormField       `json:"fields,omitempty"`
	DocumentIDs []Key             `json:"documentIds,omitempty"`
	CreatedAt   time.Time         `json:"createdAt,omitzero"`
	UpdatedAt   time.Time         `json:"updatedAt,omitzero"`
	Custom      map[string]string `json:"custom,omitempty"`
}

// Document is a stored file (x-ray export, signed consent, scanned card).
// Its content is a separate stream: [Client.OpenDocument] or
// [ExportReader.OpenDocument]. SHA256 is the hex digest of the content when
// the source knows it.
type Document struct {
	ID        Key               `json:"id"`
	PatientID Key               `json:"patientId,omitempty"`
	Name      string            `json:"name"`
	MimeType  string            `json:"mimeType,omitempty"`
	Size      int64             `json:"size"`
	SHA256    string            `json:"sha256,omitempty"`
	Category  string            `json:"category,omitempty"`
	CreatedAt time.Time         `json:"createdAt,omitzero"`
	UpdatedAt time.Time         `json:"updatedAt,omitzero"`
	Custom    map[string]string `json:"custom,omitempty"`
}

// CustomPropertyDefinition is a practice-specific field. Options lists the
// allowed values of a pick-list, in display order. Entity is the entity the
// property belongs to (EntityPatients for all PbN custom properties today).
type CustomPropertyDefinition struct {
	ID          Key                `json:"id"`
	Key         string             `json:"key"`
	Name        string             `json:"name"`
	Type        CustomPropertyType `json:"type"`
	Entity      Entity             `json:"entity"`
	Options     []string           `json:"options,omitempty"`
	Description string             `json:"description,omitempty"`
	CreatedAt   time.Time          `json:"createdAt,omitzero"`
	UpdatedAt   time.Time          `json:"updatedAt,omitzero"`
	Custom      map[string]string  `json:"custom,omitempty"`
}

// KPIDefinition is a Practice IQ metric (production, collections, case
// acceptance, hygiene pre-appointed %, new patients, ...).
type KPIDefinition struct {
	ID          Key               `json:"id"`
	Key         string            `json:"key"`
	Name        string            `json:"name"`
	Unit        KPIUnit           `json:"unit"`
	Period      string            `json:"period,omitempty"`
	Formula     string            `json:"formula,omitempty"`
	Description string            `json:"description,omitempty"`
	CreatedAt   time.Time         `json:"createdAt,omitzero"`
	UpdatedAt   time.Time         `json:"updatedAt,omitzero"`
	Custom      map[string]string `json:"custom,omitempty"`
}

// KPIValue is the value of a KPI for one office (0 = whole practice) over
// [PeriodStart, PeriodEnd]. Value is scaled by the definition's unit: cents
// for currency, basis points (1/100 %) for percent, plain units for count,
// minutes for duration.
type KPIValue struct {
	ID          Key               `json:"id"`
	KPIID       Key               `json:"kpiId"`
	OfficeID    Key               `json:"officeId,omitempty"`
	PeriodStart Date              `json:"periodStart,omitzero"`
	PeriodEnd   Date              `json:"periodEnd,omitzero"`
	Value       int64             `json:"value"`
	CreatedAt   time.Time         `json:"createdAt,omitzero"`
	UpdatedAt   time.Time         `json:"updatedAt,omitzero"`
	Custom      map[string]string `json:"custom,omitempty"`
}

// Cohort is a saved patient segment or tag. Membership is on the patient
// ([Patient.CohortIDs]); PatientCount is the source's own count.
type Cohort struct {
	ID           Key               `json:"id"`
	Name         string            `json:"name"`
	Description  string            `json:"description,omitempty"`
	Criteria     string            `json:"criteria,omitempty"`
	PatientCount int64             `json:"patientCount"`
	CreatedAt    time.Time         `json:"createdAt,omitzero"`
	UpdatedAt    time.Time         `json:"updatedAt,omitzero"`
	Custom       map[string]string `json:"custom,omitempty"`
}

// Automation is an inventory entry for a workflow, campaign or message
// template. It has no API equivalent in HighLevel: it is migrated as a
// document a person rebuilds from. Steps is human-readable text, one step
// per line.
type Automation struct {
	ID        Key               `json:"id"`
	Name      string            `json:"name"`
	Kind      AutomationKind    `json:"kind"`
	Trigger   string            `json:"trigger,omitempty"`
	Channel   Channel           `json:"channel,omitempty"`
	Steps     string            `json:"steps,omitempty"`
	Active    bool              `json:"active"`
	CreatedAt time.Time         `json:"createdAt,omitzero"`
	UpdatedAt time.Time         `json:"updatedAt,omitzero"`
	Custom    map[string]string `json:"custom,omitempty"`
}

// Deletion is one entry of the deletions feed: a record the source removed.
type Deletion struct {
	Entity    Entity    `json:"entity"`
	ID        Key       `json:"id"`
	DeletedAt time.Time `json:"deletedAt"`
}
