package practicebynumbers

import (
	"time"
)

// fixture is one dataset with every entity and every kind of value, used to
// prove that the CSV codec and the JSON contract carry records unchanged.
type fixture struct {
	Offices           []Office
	Staff             []Staff
	CustomProperties  []CustomPropertyDefinition
	Cohorts           []Cohort
	Patients          []Patient
	InsuranceCarriers []InsuranceCarrier
	Coverages         []Coverage
	Appointments      []Appointment
	Procedures        []Procedure
	TreatmentPlans    []TreatmentPlan
	Communications    []Communication
	FormSubmissions   []FormSubmission
	Documents         []Document
	KPIDefinitions    []KPIDefinition
	KPIValues         []KPIValue
	Automations       []Automation
	Deletions         []Deletion
}

func ts(s string) time.Time {
	t, err := time.Parse(time.RFC3339, s)
	if err != nil {
		panic(err)
	}
	return t.UTC()
}

func newFixture() fixture {
	c1, u1 := ts("2019-03-04T13:00:00Z"), ts("2024-03-01T15:15:00Z")
	u2 := ts("2024-11-03T06:30:00Z") // 01:30 EST, the repeated hour in Chicago is 00:30 CST... still exact
	return fixture{
		Offices: []Office{
			{ID: "1", Name: "Maple Dental - Downtown", Abbr: "DT", Address: Address{Line1: "12 Main St", City: "Springfield", State: "IL", PostalCode: "62701"},
				Phone: "2175550100", TimeZone: "America/Chicago", Active: true, CreatedAt: c1, UpdatedAt: u1},
			{ID: "2", Name: "Westside, \"the annex\"", Address: Address{State: "Illinois"}, TimeZone: "America/Chicago", UpdatedAt: u2},
		},
		Staff: []Staff{
			{ID: "1", Kind: StaffProvider, Abbr: "DOC1", FirstName: "Ana", LastName: "Reyes", Email: "ana@example.com", Active: true, OfficeIDs: []Key{"1", "2"}, UpdatedAt: u1},
			{ID: "2", Kind: StaffProvider, FirstName: "Bo", LastName: "Chen", IsHygienist: true, Hidden: true, UpdatedAt: u1},
			{ID: "50", Kind: StaffUser, FirstName: "Front", LastName: "Desk", Email: "desk@example.com", Role: "Office manager", Active: true, UpdatedAt: u1},
		},
		CustomProperties: []CustomPropertyDefinition{
			{ID: "1", Key: "case_type", Name: "Case type", Type: CustomPickList, Entity: EntityPatients, Options: []string{"Implant", "Ortho", "Perio, gum"}, UpdatedAt: u1},
			{ID: "2", Key: "lifetime_value", Name: "Lifetime value", Type: CustomNumber, Entity: EntityPatients, UpdatedAt: u1},
			{ID: "3", Key: "last_recall", Name: "Last recall", Type: CustomDate, Entity: EntityPatients, UpdatedAt: u1},
		},
		Cohorts: []Cohort{{ID: "1", Name: "Overdue hygiene", Criteria: "last hygiene > 6 months", PatientCount: 1, UpdatedAt: u1}},
		Patients: []Patient{
			{ID: "101", FirstName: "John", LastName: "Smith", MiddleInitial: "Q", PreferredName: "Jack", Status: PatientStatusPatient,
				Gender: GenderMale, BirthDate: NewDate(1980, 2, 14), Address: Address{Line1: "1 Elm St", Line2: "Apt 2", City: "Springfield", State: "IL", PostalCode: "62701", Country: "US"},
				HomePhone: "(217)555-0101", WorkPhone: "217.555.0102 x12", MobilePhone: "+1 217 555 0103", Email: "john@example.com",
				GuarantorID: "101", OfficeID: "1", ProviderID: "1", HygienistID: "2", AssignedStaffID: "50", ContactMethod: ContactMethodText,
				TextConsent: ConsentYes, EmailConsent: ConsentNo, Language: "es", ChartNumber: "A-17", FirstVisit: NewDate(2019, 3, 4),
				CohortIDs: []Key{"1"}, Notes: "Prefers mornings.\nAnxious, \"nitrous\" ok.\n2019-03-04 D1110 prophy adult $95",
				CreatedAt: c1, UpdatedAt: u1, Custom: map[string]string{"case_type": "Implant", "lifetime_value": "1234.5", "last_recall": "2024-01-05"}},
			{ID: "102", FirstName: "Zoë", LastName: "Smith", Status: PatientStatusDeceased, GuarantorID: "101", UpdatedAt: u2},
		},
		InsuranceCarriers: []InsuranceCarrier{{ID: "1", Name: "Delta Dental", PayerID: "94276", Phone: "800-555-0199", UpdatedAt: u1}},
		Coverages: []Coverage{
			{ID: "1", PatientID: "101", CarrierID: "1", SubscriberPatientID: "101", SubscriberID: "XJ123", GroupName: "ACME", GroupNumber: "G-9",
				PlanType: PlanPPO, Ordinal: 1, Relationship: RelationshipSelf, EffectiveDate: NewDate(2020, 1, 1), UpdatedAt: u1},
			{ID: "2", PatientID: "102", CarrierID: "1", SubscriberPatientID: "101", Ordinal: 2, Relationship: RelationshipSpouse, UpdatedAt: u1},
		},
		Appointments: []Appointment{
			{ID: "5001", PatientID: "101", OfficeID: "1", ProviderID: "1", HygienistID: "2", Status: AppointmentComplete, Start: ts("2024-03-04T16:00:00Z"),
				DurationMinutes: 60, Confirmation: "Confirmed", IsHygiene: true, ProcedureDescription: "PerEx, Pro", Note: "line one\nline two", UpdatedAt: u1},
			{ID: "5002", PatientID: "101", Status: AppointmentPtNote, Note: "call back", UpdatedAt: u2},
		},
		Procedures: []Procedure{
			{ID: "9001", PatientID: "101", AppointmentID: "5001", OfficeID: "1", ProviderID: "1", Code: "D1110", Description: "Prophylaxis - adult",
				Fee: 9500, Status: ProcedureComplete, Date: NewDate(2024, 3, 4), UpdatedAt: u1},
			{ID: "9002", PatientID: "101", TreatmentPlanID: "1", Code: "D2740", Tooth: "3", Surface: "MOD", Fee: 125050, Status: ProcedureTreatmentPlanned, UpdatedAt: u1},
			{ID: "9003", PatientID: "101", Code: "Z-DEL", Fee: -1200, Status: ProcedureDeleted, UpdatedAt: u1},
		},
		TreatmentPlans: []TreatmentPlan{{ID: "1", PatientID: "101", OfficeID: "1", StaffID: "1", Heading: "Crown #3", Pipeline: "Restorative",
			Stage: "Presented", Status: TreatmentPlanActive, Amount: 125050, AcceptedAmount: 0, Probability: 40,
			PresentedOn: NewDate(2024, 3, 4), ProcedureIDs: []Key{"9002"}, UpdatedAt: u1}},
		Communications: []Communication{
			{ID: "1", PatientID: "101", StaffID: "50", OfficeID: "1", Channel: ChannelSMS, Direction: DirectionInbound, At: ts("2024-03-03T22:59:59Z"),
				Body: "Can I move my appt?\nThanks", Source: "pbn", UpdatedAt: u1},
			{ID: "2", PatientID: "101", Channel: ChannelRecall, Direction: DirectionOutbound, At: u2, Subject: "Time for a cleaning", UpdatedAt: u2},
		},
		FormSubmissions: []FormSubmission{{ID: "1", PatientID: "101", FormName: "New patient intake", FormType: FormPatient,
			SubmittedAt: ts("2019-03-01T12:00:00Z"), SignedOn: NewDate(2019, 3, 1),
			Fields:      []FormField{{Name: "Allergies", Value: "Penicillin, latex"}, {Name: "Notes", Value: "a \"quoted\"\nmulti-line"}},
			DocumentIDs: []Key{"7001"}, UpdatedAt: u1}},
		Documents: []Document{{ID: "7001", PatientID: "101", Name: "intake.pdf", MimeType: "application/pdf", Size: 22,
			SHA256: "abc123", Category: "Forms", CreatedAt: c1, UpdatedAt: u1}},
		KPIDefinitions: []KPIDefinition{{ID: "1", Key: "production_gross", Name: "Gross production", Unit: KPICurrency, Period: "month", UpdatedAt: u1}},
		KPIValues:      []KPIValue{{ID: "1", KPIID: "1", OfficeID: "1", PeriodStart: NewDate(2024, 2, 1), PeriodEnd: NewDate(2024, 2, 29), Value: 8812345, UpdatedAt: u1}},
		Automations: []Automation{{ID: "1", Name: "Recall reminder", Kind: AutomationCampaign, Trigger: "6 months since hygiene",
			Channel: ChannelSMS, Steps: "Day 0: SMS\nDay 7: email", Active: true, UpdatedAt: u1}},
		Deletions: []Deletion{{Entity: EntityPatients, ID: "99", DeletedAt: u2}},
	}
}

// customKeys is the custom property keys in id order, as a writer uses them.
func (f fixture) customKeys() []string {
	keys := make([]string, 0, len(f.CustomProperties))
	for _, d := range f.CustomProperties {
		keys = append(keys, d.Key)
	}
	return keys
}

// keyNum is a numeric key as a number (0 when the key is not one).
func keyNum(k Key) int64 {
	n, _ := k.Int()
	return n
}
