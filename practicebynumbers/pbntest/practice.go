package pbntest

import (
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	pbn "github.com/pbnhl/pbnhl/practicebynumbers"
)

// DefaultAsOf is the instant a generated practice is "exported" at: every
// generated change stamp is at or before it and future appointments are after
// it. It is fixed, not the wall clock, so that a seed always yields the same
// bytes.
var DefaultAsOf = time.Date(2026, time.November, 1, 0, 0, 0, 0, time.UTC)

// Limits of the generator.
const (
	MinPatients = 1
	MaxPatients = 5_000_000

	// childStride spaces the ids of a patient's child records: the j-th
	// appointment of patient p has id p*childStride + j. Records added by
	// Mutate take ids above every generated one.
	childStride = 100
	maxChildren = childStride - 1
)

// Practice is a deterministic, generated dental practice. Small reference
// data (offices, staff, carriers, custom property definitions, KPIs,
// cohorts, automations) is built once; patients and their records are
// derived on demand from (seed, patient index), so a million-patient
// practice costs a few kilobytes until it is iterated, and iterating never
// holds more than one patient's records.
//
// A Practice is immutable and safe for concurrent use.
type Practice struct {
	seed     int64
	patients int
	asOf     time.Time

	offices     []pbn.Office
	staff       []pbn.Staff
	carriers    []pbn.InsuranceCarrier
	properties  []pbn.CustomPropertyDefinition
	kpis        []pbn.KPIDefinition
	kpiValues   []pbn.KPIValue
	automations []pbn.Automation

	dentists   [][]pbn.Key // per office index (0 = no office): provider ids
	hygienists [][]pbn.Key
	users      [][]pbn.Key
	hiddenProv []pbn.Key // hidden providers, still referenced by history

	locs []*time.Location // per office index; 0 = the first office's zone

	hhCache [hhCacheSize]atomic.Pointer[hhEntry]

	cohortOnce sync.Once
	cohorts    []pbn.Cohort
}

// NewPractice generates the practice for seed with the given number of
// patients (before any family duplicates are counted: every patient,
// duplicate or not, is one of them).
func NewPractice(seed int64, patients int) (*Practice, error) {
	if patients < MinPatients || patients > MaxPatients {
		return nil, fmt.Errorf("pbntest: patients must be in [%d, %d], got %d", MinPatients, MaxPatients, patients)
	}
	p := &Practice{seed: seed, patients: patients, asOf: DefaultAsOf}
	p.buildOffices()
	p.locs = make([]*time.Location, len(p.offices)+1)
	for i, o := range p.offices {
		p.locs[i+1] = o.Location()
	}
	p.locs[0] = p.locs[1]
	p.buildStaff()
	p.buildCarriers()
	p.buildProperties()
	p.buildKPIs()
	p.buildAutomations()
	return p, nil
}

// MustPractice is NewPractice for tests and examples; it panics on a bad size.
func MustPractice(seed int64, patients int) *Practice {
	p, err := NewPractice(seed, patients)
	if err != nil {
		panic(err)
	}
	return p
}

// Seed returns the practice's seed.
func (p *Practice) Seed() int64 { return p.seed }

// PatientCount returns the number of generated patients.
func (p *Practice) PatientCount() int { return p.patients }

// AsOf returns the export instant: no generated stamp is later.
func (p *Practice) AsOf() time.Time { return p.asOf }

// Offices returns the practice's offices (a fresh copy).
func (p *Practice) Offices() []pbn.Office { return cloneSlice(p.offices, cloneOffice) }

// Staff returns providers and users (a fresh copy).
func (p *Practice) Staff() []pbn.Staff { return cloneSlice(p.staff, cloneStaff) }

// InsuranceCarriers returns the payers (a fresh copy).
func (p *Practice) InsuranceCarriers() []pbn.InsuranceCarrier {
	return cloneSlice(p.carriers, func(c pbn.InsuranceCarrier) pbn.InsuranceCarrier { return c })
}

// CustomProperties returns the custom property catalogue (a fresh copy).
func (p *Practice) CustomProperties() []pbn.CustomPropertyDefinition {
	return cloneSlice(p.properties, func(d pbn.CustomPropertyDefinition) pbn.CustomPropertyDefinition {
		d.Options = append([]string(nil), d.Options...)
		return d
	})
}

// KPIDefinitions returns the Practice IQ metrics (a fresh copy).
func (p *Practice) KPIDefinitions() []pbn.KPIDefinition {
	return cloneSlice(p.kpis, func(k pbn.KPIDefinition) pbn.KPIDefinition { return k })
}

// KPIValues returns monthly values per KPI and office (a fresh copy).
func (p *Practice) KPIValues() []pbn.KPIValue {
	return cloneSlice(p.kpiValues, func(k pbn.KPIValue) pbn.KPIValue { return k })
}

// Automations returns the workflow/campaign/template inventory (a fresh copy).
func (p *Practice) Automations() []pbn.Automation {
	return cloneSlice(p.automations, func(a pbn.Automation) pbn.Automation { return a })
}

// Cohorts returns the saved segments with their member counts. The first
// call walks every patient's cohort membership (cheap: no records are
// built) to count members.
func (p *Practice) Cohorts() []pbn.Cohort {
	p.cohortOnce.Do(p.buildCohorts)
	return cloneSlice(p.cohorts, func(c pbn.Cohort) pbn.Cohort { return c })
}

func cloneSlice[T any](xs []T, f func(T) T) []T {
	out := make([]T, len(xs))
	for i, x := range xs {
		out[i] = f(x)
	}
	return out
}

func cloneOffice(o pbn.Office) pbn.Office { return o }

func cloneStaff(s pbn.Staff) pbn.Staff {
	s.OfficeIDs = append([]pbn.Key(nil), s.OfficeIDs...)
	return s
}

// stamp returns a creation time in [from, to] and a later change stamp.
func stampPair(r *rng, from, to time.Time) (created, updated time.Time) {
	created = between(r, from, to)
	updated = between(r, created, to)
	return created, updated
}

// between returns a second-precision instant in [from, to].
func between(r *rng, from, to time.Time) time.Time {
	if !to.After(from) {
		return from.Truncate(time.Second)
	}
	span := to.Sub(from) / time.Second
	return from.Add(time.Duration(r.intn(int(span)+1)) * time.Second).Truncate(time.Second)
}

var practiceFounded = time.Date(2006, time.March, 1, 9, 0, 0, 0, time.UTC)

func (p *Practice) buildOffices() {
	r := newRNG(p.seed, domOffice)
	n := 3 + min(5, p.patients/20000) // several offices; more for big groups
	brand := pick(&r, []string{"Bright Smiles", "Riverside Family", "Summit", "Harbor", "Maple Grove", "Lakeside"})
	for i := range n {
		c := cities[r.intn(len(cities))]
		o := pbn.Office{
			ID:       kid(int64(i + 1)),
			Name:     fmt.Sprintf("%s Dental - %s", brand, c.city),
			Abbr:     strings.ToUpper(c.city[:3]) + fmt.Sprint(i+1),
			Address:  pbn.Address{Line1: fmt.Sprintf("%d %s", r.between(10, 9999), pick(&r, streetNames)), City: c.city, State: c.abbr, PostalCode: fmt.Sprintf("%s%02d", c.zip, r.intn(100)), Country: "US"},
			Phone:    fmt.Sprintf("%03d%03d%04d", r.between(201, 989), r.between(200, 999), r.intn(10000)),
			Region:   pick(&r, []string{"West", "East", "Central", ""}),
			TimeZone: c.tz,
			Active:   true,
		}
		if i == n-1 {
			// A closed location whose history is still referenced.
			o.Active, o.Phone, o.Email = false, "", ""
		} else {
			o.Email = fmt.Sprintf("%s@%sdental.com", strings.ToLower(o.Abbr), strings.ToLower(strings.ReplaceAll(brand, " ", "")))
		}
		if i == 1 {
			o.Phone = "" // Open Dental allows a blank clinic phone
			o.Address.State = c.full
		}
		o.CreatedAt, o.UpdatedAt = stampPair(&r, practiceFounded, p.asOf)
		p.offices = append(p.offices, o)
	}
}

func (p *Practice) buildStaff() {
	r := newRNG(p.seed, domStaff)
	nOff := len(p.offices)
	p.dentists = make([][]pbn.Key, nOff+1)
	p.hygienists = make([][]pbn.Key, nOff+1)
	p.users = make([][]pbn.Key, nOff+1)
	perOffice := max(1, min(40, p.patients/(1500*nOff)))
	id := int64(0)
	add := func(s pbn.Staff) pbn.Staff {
		id++
		s.ID = kid(id)
		s.CreatedAt, s.UpdatedAt = stampPair(&r, practiceFounded, p.asOf)
		p.staff = append(p.staff, s)
		return s
	}
	person := func() (string, string) {
		if r.chance(0.5) {
			return pick(&r, firstNamesFemale), pick(&r, lastNames)
		}
		return pick(&r, firstNamesMale), pick(&r, lastNames)
	}
	for oi := 1; oi <= nOff; oi++ {
		offices := []pbn.Key{kid(int64(oi))}
		for k := 0; k < perOffice+1; k++ {
			first, last := person()
			s := pbn.Staff{Kind: pbn.StaffProvider, FirstName: first, LastName: last, Role: "Dentist",
				Specialty: pick(&r, []string{"General", "General", "General", "Endodontics", "Periodontics", "Orthodontics", "Oral Surgery"}),
				Active:    true, OfficeIDs: offices}
			s.Abbr = "DR" + strings.ToUpper(string([]rune(last)[:1])) + fmt.Sprint(len(p.staff)+1)
			if r.chance(0.3) { // most providers have no email in the PMS
				s.Email = emailFor(first, last, "dental"+fmt.Sprint(oi)+".com", &r)
			}
			s = add(s)
			p.dentists[oi] = append(p.dentists[oi], s.ID)
		}
		for k := 0; k < 2*perOffice; k++ {
			first, last := person()
			s := pbn.Staff{Kind: pbn.StaffProvider, FirstName: first, LastName: last, Role: "Hygienist",
				Specialty: "Hygiene", IsHygienist: true, Active: true, OfficeIDs: offices}
			s.Abbr = "HYG" + fmt.Sprint(len(p.staff)+1)
			if r.chance(0.2) {
				s.Email = emailFor(first, last, "gmail.com", &r)
			}
			s = add(s)
			p.hygienists[oi] = append(p.hygienists[oi], s.ID)
		}
		for k := 0; k < 2*perOffice; k++ {
			first, last := person()
			s := pbn.Staff{Kind: pbn.StaffUser, FirstName: first, LastName: last,
				Role: pick(&r, []string{"Front Desk", "Office Manager", "Treatment Coordinator", "Billing"}), Active: true, OfficeIDs: offices}
			if r.chance(0.85) { // PbN users log in with an email, but not all
				s.Email = emailFor(first, last, "brightsmiles.com", &r)
			}
			if r.chance(0.1) && s.Email != "" {
				s.Email = strings.ToUpper(s.Email[:1]) + s.Email[1:] + " " // as typed
			}
			if r.chance(0.2) && nOff > 1 {
				s.OfficeIDs = append(s.OfficeIDs, kid(int64(1+r.intn(nOff))))
				if s.OfficeIDs[1] == s.OfficeIDs[0] {
					s.OfficeIDs = s.OfficeIDs[:1]
				}
			}
			s = add(s)
			p.users[oi] = append(p.users[oi], s.ID)
		}
	}
	// Hidden and inactive providers who left: still on old records.
	for k := 0; k < 2+perOffice; k++ {
		first, last := person()
		s := add(pbn.Staff{Kind: pbn.StaffProvider, FirstName: first, LastName: last, Role: "Dentist",
			Specialty: "General", Hidden: true, Active: false, Abbr: "OLD" + fmt.Sprint(k+1)})
		p.hiddenProv = append(p.hiddenProv, s.ID)
	}
	// An organisation-wide admin without an office restriction.
	add(pbn.Staff{Kind: pbn.StaffUser, FirstName: "Practice", LastName: "Admin", Role: "Owner", Email: "owner@brightsmiles.com", Active: true})
	// Patients without an office are seen by the first office's team.
	p.dentists[0], p.hygienists[0], p.users[0] = p.dentists[1], p.hygienists[1], p.users[1]
}

func emailFor(first, last, domain string, r *rng) string {
	f := asciiLower(first)
	l := asciiLower(last)
	if f == "" {
		f = "pt"
	}
	if l == "" {
		l = "x"
	}
	switch r.intn(4) {
	case 0:
		return f + "." + l + "@" + domain
	case 1:
		return f[:1] + l + "@" + domain
	case 2:
		return f + l + fmt.Sprint(r.between(1, 99)) + "@" + domain
	default:
		return f + "_" + l + "@" + domain
	}
}

// asciiLower keeps the ASCII letters and digits of s, lower-cased: what people
// type when their name has accents or apostrophes.
func asciiLower(s string) string {
	var b strings.Builder
	for _, c := range s {
		switch {
		case c >= 'a' && c <= 'z', c >= '0' && c <= '9':
			b.WriteRune(c)
		case c >= 'A' && c <= 'Z':
			b.WriteRune(c + 'a' - 'A')
		}
	}
	return b.String()
}

func (p *Practice) buildCarriers() {
	r := newRNG(p.seed, domCarrier)
	for i, c := range carrierSeeds {
		ic := pbn.InsuranceCarrier{ID: kid(int64(i + 1)), Name: c.name, PayerID: c.payerID, Phone: c.phone}
		if r.chance(0.6) {
			cs := pick(&r, cities)
			ic.Address = pbn.Address{Line1: fmt.Sprintf("PO Box %d", r.between(100, 99999)), City: cs.city, State: cs.abbr, PostalCode: cs.zip + "00"}
		}
		ic.CreatedAt, ic.UpdatedAt = stampPair(&r, practiceFounded, p.asOf)
		p.carriers = append(p.carriers, ic)
	}
}

// Custom property keys of the generated catalogue.
const (
	PropCaseType          = "case_type"
	PropReferralSource    = "referral_source"
	PropLifetimeProd      = "lifetime_production"
	PropLastPerioCharting = "last_perio_charting"
	PropPreferredHyg      = "preferred_hygienist"
	PropOutstandingTx     = "outstanding_treatment"
	PropRecallDue         = "recall_due"
	PropMarketingOptIn    = "marketing_opt_in"
	PropInsuranceCarrier  = "insurance_carrier"
)

var caseTypes = []string{"Restorative", "Cosmetic", "Implant", "Ortho", "Perio", "Emergency", "Hygiene only"}

func (p *Practice) buildProperties() {
	r := newRNG(p.seed, domCustom)
	defs := []pbn.CustomPropertyDefinition{
		{Key: PropCaseType, Name: "Case Type", Type: pbn.CustomPickList, Options: caseTypes, Description: "Primary case category, set by the treatment coordinator"},
		{Key: PropReferralSource, Name: "Referral Source", Type: pbn.CustomText},
		{Key: PropLifetimeProd, Name: "Lifetime Production", Type: pbn.CustomNumber, Description: "Dollars, as computed by Practice IQ"},
		{Key: PropLastPerioCharting, Name: "Last Perio Charting", Type: pbn.CustomDate},
		{Key: PropPreferredHyg, Name: "Preferred Hygienist", Type: pbn.CustomPickList, Options: []string{"No preference", "Same as last visit", "Female hygienist", "Any"}},
		{Key: PropOutstandingTx, Name: "Outstanding Treatment $", Type: pbn.CustomNumber},
		{Key: PropRecallDue, Name: "Recall Due", Type: pbn.CustomDate},
		{Key: PropMarketingOptIn, Name: "Marketing Opt-in", Type: pbn.CustomPickList, Options: []string{"Yes", "No"}},
		{Key: PropInsuranceCarrier, Name: "Insurance Carrier", Type: pbn.CustomText, Description: "Primary carrier name as PbN displays it"},
	}
	for i := range defs {
		defs[i].ID = kid(int64(i + 1))
		defs[i].Entity = pbn.EntityPatients
		defs[i].CreatedAt, defs[i].UpdatedAt = stampPair(&r, practiceFounded.AddDate(8, 0, 0), p.asOf)
	}
	p.properties = defs
}

func (p *Practice) buildKPIs() {
	r := newRNG(p.seed, domKPI)
	defs := []pbn.KPIDefinition{
		{Key: "gross_production", Name: "Gross Production", Unit: pbn.KPICurrency, Formula: "sum(fee) of completed procedures"},
		{Key: "net_production", Name: "Net (Adjusted) Production", Unit: pbn.KPICurrency, Formula: "gross production - write-offs - adjustments"},
		{Key: "collections", Name: "Collections", Unit: pbn.KPICurrency, Formula: "sum(payments)"},
		{Key: "case_acceptance", Name: "Treatment Plan Acceptance", Unit: pbn.KPIPercent, Formula: "accepted $ / presented $"},
		{Key: "patient_acceptance", Name: "Patient Acceptance", Unit: pbn.KPIPercent, Formula: "patients accepting / patients presented"},
		{Key: "hygiene_preappointed", Name: "Hygiene Pre-appointed %", Unit: pbn.KPIPercent, Formula: "hygiene patients leaving with next hygiene visit booked"},
		{Key: "new_patients_seen", Name: "New Patients Seen", Unit: pbn.KPICount},
		{Key: "active_patients_12", Name: "Active Patients (12 months)", Unit: pbn.KPICount, Formula: "patients with a visit in the last 12 months"},
		{Key: "active_patients_18", Name: "Active Patients (18 months)", Unit: pbn.KPICount, Formula: "patients with a visit in the last 18 months"},
		{Key: "production_per_hour", Name: "Production per Hour", Unit: pbn.KPICurrency, Formula: "gross production / scheduled provider hours"},
		{Key: "avg_chair_time", Name: "Average Chair Time", Unit: pbn.KPIDuration},
	}
	for i := range defs {
		defs[i].ID = kid(int64(i + 1))
		defs[i].Period = "month"
		defs[i].CreatedAt, defs[i].UpdatedAt = stampPair(&r, practiceFounded.AddDate(8, 0, 0), p.asOf)
	}
	p.kpis = defs
	scale := float64(p.patients) / float64(len(p.offices))
	id := int64(0)
	for m := 24; m >= 1; m-- {
		start := time.Date(p.asOf.Year(), p.asOf.Month()-time.Month(m), 1, 0, 0, 0, 0, time.UTC)
		end := start.AddDate(0, 1, -1)
		for oi := 0; oi <= len(p.offices); oi++ { // 0 = whole practice
			for _, d := range defs {
				f := scale
				if oi == 0 {
					f = float64(p.patients)
				}
				var v int64
				switch d.Unit {
				case pbn.KPICurrency:
					v = int64(float64(f*(80+float64(40*r.float()))) * 100) // no fused multiply-add: same on every platform
					if d.Key == "production_per_hour" {
						v = int64(r.between(350, 900)) * 100
					}
				case pbn.KPIPercent:
					v = int64(r.between(3500, 9500))
				case pbn.KPICount:
					v = int64(f * (0.01 + float64(0.05*r.float())))
					if strings.HasPrefix(d.Key, "active_patients") {
						v = int64(f * (0.5 + float64(0.2*r.float())))
					}
				case pbn.KPIDuration:
					v = int64(r.between(35, 75))
				}
				id++
				created := end.AddDate(0, 0, 1).Add(2 * time.Hour)
				if created.After(p.asOf) {
					// The running month's figure is as fresh as the practice, never
					// newer: a record stamped after AsOf would be invisible to a
					// delta started from the simulator's first clock reading.
					created = p.asOf
				}
				p.kpiValues = append(p.kpiValues, pbn.KPIValue{ID: kid(id), KPIID: d.ID, OfficeID: kid(int64(oi)),
					PeriodStart: pbn.DateOf(start), PeriodEnd: pbn.DateOf(end), Value: v, CreatedAt: created, UpdatedAt: created})
			}
		}
	}
}

func (p *Practice) buildAutomations() {
	r := newRNG(p.seed, domCohort, 1)
	for i, a := range automationSeeds {
		kind := pbn.AutomationWorkflow
		ch := pbn.ChannelSMS
		switch {
		case strings.Contains(a.name, "campaign"):
			kind, ch = pbn.AutomationCampaign, pbn.ChannelEmail
		case strings.Contains(a.name, "Birthday"):
			kind = pbn.AutomationTemplate
		case strings.Contains(a.name, "Recall"):
			ch = pbn.ChannelRecall
		case strings.Contains(a.name, "reminder"):
			ch = pbn.ChannelReminder
		}
		au := pbn.Automation{ID: kid(int64(i + 1)), Name: a.name, Kind: kind, Trigger: a.trigger, Channel: ch, Steps: a.steps, Active: i != 4}
		au.CreatedAt, au.UpdatedAt = stampPair(&r, practiceFounded.AddDate(10, 0, 0), p.asOf)
		p.automations = append(p.automations, au)
	}
}

func (p *Practice) buildCohorts() {
	r := newRNG(p.seed, domCohort)
	counts := make([]int64, len(cohortNames))
	for i := range p.patients {
		for _, c := range p.cohortMembership(i) {
			counts[num(c)-1]++
		}
	}
	for i, name := range cohortNames {
		c := pbn.Cohort{ID: kid(int64(i + 1)), Name: name, PatientCount: counts[i], Criteria: cohortCriteria[i]}
		c.CreatedAt, c.UpdatedAt = stampPair(&r, practiceFounded.AddDate(10, 0, 0), p.asOf)
		p.cohorts = append(p.cohorts, c)
	}
}

var cohortCriteria = []string{
	"last hygiene visit > 6 months and no hygiene appointment scheduled",
	"treatment planned procedures not scheduled",
	"first visit in the current year",
	"lifetime production > $10,000",
	"tag: invisalign-lead",
	"broken appointments >= 2 in 12 months",
	"perio maintenance in the last 12 months",
	"primary carrier contains 'Delta'",
	"birth month = current month",
	"last visit > 18 months",
}

// cohortMembership returns the 1-based cohort ids of patient index i. It is
// drawn from its own stream so that counting members builds no records.
func (p *Practice) cohortMembership(i int) []pbn.Key {
	r := newRNG(p.seed, domCohort, uint64(i)+2)
	if !r.chance(0.35) {
		return nil
	}
	var ids []pbn.Key
	for c := range cohortNames {
		if r.chance(0.12) {
			ids = append(ids, kid(int64(c+1)))
		}
	}
	return ids
}
