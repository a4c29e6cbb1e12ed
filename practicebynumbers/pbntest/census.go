package pbntest

import (
	"regexp"
	"slices"
	"strings"
	"unicode"

	pbn "github.com/pbnhl/pbnhl/practicebynumbers"
)

// Stats is a census of a practice's messiness. It is computed by inspecting
// the generated records (not by asking the generator what it meant to do),
// so a test asserting a count proves the case really is in the output.
type Stats struct {
	Records map[pbn.Entity]int

	InactiveOffices     int
	OfficesWithoutPhone int

	StaffWithEmail    int
	StaffWithoutEmail int
	HiddenStaff       int
	MultiOfficeStaff  int
	Users, Providers  int

	Families            int // households of two or more patients
	FamilyMembers       int // patients whose guarantor is someone else
	Duplicates          int // same name and birth date as an earlier member of the same family
	Placeholders        int // "New Patient" style placeholder charts
	PatientStatuses     map[pbn.PatientStatus]int
	Genders             map[pbn.Gender]int
	NoBirthDate         int
	NoOffice            int // office id 0 (ClinicNum 0)
	HiddenProviderRefs  int // patients or appointments pointing at a hidden provider
	StateAbbreviations  int // "CA"
	StateFullNames      int // "Maine"
	NonASCIINames       int
	PaddedNames         int // leading or trailing blanks
	PhoneFormats        map[PhoneFormat]int
	EmailMissing        int
	EmailMalformed      int
	EmailUnnormalised   int // valid once trimmed and lower-cased
	EmailSharedFamily   int // same address as the guarantor
	EmailSharedPlacebo  int // front-desk placeholder addresses shared across families
	SpuriousStamps      int // patients whose change stamp is the bulk-update instant
	CustomValues        map[string]int
	CustomOffList       int // pick-list values that are not an option
	CustomPropertyTypes map[pbn.CustomPropertyType]int

	AppointmentStatuses map[pbn.AppointmentStatus]int
	UndatedAppointments int
	ProcedureStatuses   map[pbn.ProcedureStatus]int
	CustomCodes         int // practice codes, not CDT
	DeletedCodes        int // codes removed from CDT
	UndatedProcedures   int // 0001-01-01 procedure dates
	Pipelines           map[string]int
	Stages              map[string]int
	CoverageOrdinals    map[int]int
	UndatedCoverages    int
	TermedCoverages     int
	Channels            map[pbn.Channel]int
	Directions          map[pbn.Direction]int
	SMSThreads          int
	FormTypes           map[pbn.FormType]int
	UnsignedForms       int
	MimeTypes           map[string]int

	MultiLineTexts      int // notes and bodies with line breaks
	TextsWithProcedures int // notes and bodies embedding procedure lines
	ProcedureLines      int // "2019-03-04 D1110 prophy adult $95" lines found in text

	KPIDefinitions int
	KPIValues      int
	Cohorts        int
	Automations    int
}

// PerPatient returns the mean number of records of e per patient.
func (s Stats) PerPatient(e pbn.Entity) float64 {
	if s.Records[pbn.EntityPatients] == 0 {
		return 0
	}
	return float64(s.Records[e]) / float64(s.Records[pbn.EntityPatients])
}

var validEmailRE = regexp.MustCompile(`^[a-z0-9._%+\-]+@[a-z0-9\-]+(\.[a-z0-9\-]+)*\.[a-z]{2,}$`)

// EmailShape classifies an email address as written: "missing", "valid",
// "unnormalised" (valid after trimming and lower-casing) or "malformed".
func EmailShape(s string) string {
	t := strings.ToLower(strings.TrimSpace(s))
	switch {
	case t == "":
		return "missing"
	case !validEmailRE.MatchString(t) || strings.Contains(t, "..") || strings.Contains(t, ".@"):
		return "malformed"
	case t != s:
		return "unnormalised"
	}
	return "valid"
}

// Census walks the whole practice once (streamed: memory stays flat) and
// counts every messy case.
func (p *Practice) Census() Stats {
	s := Stats{
		Records:             map[pbn.Entity]int{},
		PatientStatuses:     map[pbn.PatientStatus]int{},
		Genders:             map[pbn.Gender]int{},
		PhoneFormats:        map[PhoneFormat]int{},
		CustomValues:        map[string]int{},
		CustomPropertyTypes: map[pbn.CustomPropertyType]int{},
		AppointmentStatuses: map[pbn.AppointmentStatus]int{},
		ProcedureStatuses:   map[pbn.ProcedureStatus]int{},
		Pipelines:           map[string]int{},
		Stages:              map[string]int{},
		CoverageOrdinals:    map[int]int{},
		Channels:            map[pbn.Channel]int{},
		Directions:          map[pbn.Direction]int{},
		FormTypes:           map[pbn.FormType]int{},
		MimeTypes:           map[string]int{},
	}
	s.Records[pbn.EntityOffices] = len(p.offices)
	for _, o := range p.offices {
		if !o.Active {
			s.InactiveOffices++
		}
		if o.Phone == "" {
			s.OfficesWithoutPhone++
		}
	}
	hidden := map[pbn.Key]bool{}
	s.Records[pbn.EntityStaff] = len(p.staff)
	for _, st := range p.staff {
		if st.Email == "" {
			s.StaffWithoutEmail++
		} else {
			s.StaffWithEmail++
		}
		if st.Hidden {
			s.HiddenStaff++
			hidden[st.ID] = true
		}
		if len(st.OfficeIDs) > 1 {
			s.MultiOfficeStaff++
		}
		if st.Kind == pbn.StaffUser {
			s.Users++
		} else {
			s.Providers++
		}
	}
	options := map[string][]string{}
	for _, d := range p.properties {
		s.CustomPropertyTypes[d.Type]++
		if d.Type == pbn.CustomPickList {
			options[d.Key] = d.Options
		}
	}
	s.Records[pbn.EntityCustomProperties] = len(p.properties)
	s.Records[pbn.EntityInsuranceCarriers] = len(p.carriers)
	s.KPIDefinitions, s.KPIValues = len(p.kpis), len(p.kpiValues)
	s.Records[pbn.EntityKPIDefinitions], s.Records[pbn.EntityKPIValues] = s.KPIDefinitions, s.KPIValues
	s.Cohorts = len(p.Cohorts())
	s.Records[pbn.EntityCohorts] = s.Cohorts
	s.Automations = len(p.automations)
	s.Records[pbn.EntityAutomations] = s.Automations

	text := func(t string) {
		if strings.Contains(t, "\n") {
			s.MultiLineTexts++
		}
		if n := CountProcedureLines(t); n > 0 {
			s.TextsWithProcedures++
			s.ProcedureLines += n
		}
	}
	var (
		guarantor   pbn.Key = "-"
		guarEmail   string
		familySeen  = map[string]bool{}
		familyCount int
	)
	placebo := func(e string) bool { return slices.Contains(sharedEmails, strings.TrimSpace(e)) }
	for ch := range p.Charts() {
		pt := ch.Patient
		s.Records[pbn.EntityPatients]++
		if pt.GuarantorID != guarantor {
			if familyCount > 1 {
				s.Families++
			}
			guarantor, familyCount = pt.GuarantorID, 0
			clear(familySeen)
		}
		familyCount++
		if pt.ID == pt.GuarantorID {
			guarEmail = pt.Email
		} else {
			s.FamilyMembers++
		}
		key := strings.ToLower(strings.TrimSpace(pt.FirstName)) + "|" + strings.ToLower(strings.TrimSpace(pt.LastName)) + "|" + pt.BirthDate.String()
		if familySeen[key] {
			s.Duplicates++
		}
		familySeen[key] = true
		if isPlaceholderName(pt) {
			s.Placeholders++
		}
		s.PatientStatuses[pt.Status]++
		s.Genders[pt.Gender]++
		if pt.BirthDate.IsZero() {
			s.NoBirthDate++
		}
		if pt.OfficeID == pbn.NoKey {
			s.NoOffice++
		}
		if hidden[pt.ProviderID] {
			s.HiddenProviderRefs++
		}
		switch st := pt.Address.State; {
		case len(st) == 2:
			s.StateAbbreviations++
		case len(st) > 2:
			s.StateFullNames++
		}
		if nonASCII(pt.FirstName) || nonASCII(pt.LastName) {
			s.NonASCIINames++
		}
		if pt.FirstName != strings.TrimSpace(pt.FirstName) || pt.LastName != strings.TrimSpace(pt.LastName) {
			s.PaddedNames++
		}
		for _, ph := range []string{pt.HomePhone, pt.WorkPhone, pt.MobilePhone} {
			s.PhoneFormats[ClassifyPhone(ph)]++
		}
		switch {
		case pt.Email != "" && placebo(pt.Email):
			s.EmailSharedPlacebo++
		case pt.Email != "" && pt.ID != pt.GuarantorID && pt.Email == guarEmail:
			s.EmailSharedFamily++
		}
		switch EmailShape(pt.Email) {
		case "missing":
			s.EmailMissing++
		case "malformed":
			s.EmailMalformed++
		case "unnormalised":
			s.EmailUnnormalised++
		}
		if pt.UpdatedAt.Equal(bulkStamp) {
			s.SpuriousStamps++
		}
		for k, v := range pt.Custom {
			s.CustomValues[k]++
			if opts, ok := options[k]; ok && !slices.Contains(opts, v) {
				s.CustomOffList++
			}
		}
		text(pt.Notes)

		s.Records[pbn.EntityAppointments] += len(ch.Appointments)
		for _, a := range ch.Appointments {
			s.AppointmentStatuses[a.Status]++
			if a.Start.IsZero() {
				s.UndatedAppointments++
			}
			if hidden[a.ProviderID] {
				s.HiddenProviderRefs++
			}
			text(a.Note)
		}
		s.Records[pbn.EntityProcedures] += len(ch.Procedures)
		for _, pr := range ch.Procedures {
			s.ProcedureStatuses[pr.Status]++
			if pr.Date.IsZero() {
				s.UndatedProcedures++
			}
			switch codeKind(pr.Code) {
			case "custom":
				s.CustomCodes++
			case "deleted":
				s.DeletedCodes++
			}
			text(pr.Note)
		}
		s.Records[pbn.EntityTreatmentPlans] += len(ch.TreatmentPlans)
		for _, pl := range ch.TreatmentPlans {
			s.Pipelines[pl.Pipeline]++
			s.Stages[pl.Stage]++
			text(pl.Note)
		}
		s.Records[pbn.EntityCoverages] += len(ch.Coverages)
		for _, c := range ch.Coverages {
			s.CoverageOrdinals[c.Ordinal]++
			if c.EffectiveDate.IsZero() {
				s.UndatedCoverages++
			}
			if !c.TermDate.IsZero() {
				s.TermedCoverages++
			}
		}
		s.Records[pbn.EntityCommunications] += len(ch.Communications)
		for _, c := range ch.Communications {
			s.Channels[c.Channel]++
			s.Directions[c.Direction]++
			if c.Channel == pbn.ChannelSMS && strings.Count(c.Body, "\n[") > 0 {
				s.SMSThreads++
			}
			text(c.Body)
		}
		s.Records[pbn.EntityFormSubmissions] += len(ch.FormSubmissions)
		for _, f := range ch.FormSubmissions {
			s.FormTypes[f.FormType]++
			if f.FormType == pbn.FormConsent && f.SignedOn.IsZero() {
				s.UnsignedForms++
			}
		}
		s.Records[pbn.EntityDocuments] += len(ch.Documents)
		for _, d := range ch.Documents {
			s.MimeTypes[d.MimeType]++
		}
	}
	if familyCount > 1 {
		s.Families++
	}
	return s
}

func isPlaceholderName(pt pbn.Patient) bool {
	l := strings.ToLower(strings.TrimSpace(pt.LastName))
	return l == "patient" || l == "appointment" || l == "new patient" || l == "call in"
}

func nonASCII(s string) bool {
	for _, r := range s {
		if r > unicode.MaxASCII {
			return true
		}
	}
	return false
}

func codeKind(code string) string {
	for _, c := range customCodes {
		if c.code == code {
			return "custom"
		}
	}
	for _, c := range deletedCodes {
		if c.code == code {
			return "deleted"
		}
	}
	return "cdt"
}
