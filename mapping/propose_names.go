package mapping

// The proposer's naming heuristics: which names mean which entity and which
// standard field, and how close two names are. Values are judged in sniff.go.

import (
	"fmt"
	"slices"
	"strings"
	"unicode"
)

type entityKind struct {
	kind             TargetKind
	key              string // custom object or contact field key suffix
	singular, plural string
	names            []string
}

// entityKinds recognise entities by normalised name (dental PMS and CRM words).
var entityKinds = []entityKind{
	{TargetContact, "", "Patient", "Patients", []string{"patients", "patient", "contacts", "contact", "clients", "client", "people", "persons", "customers", "pts", "members",
		// report and table names of Dentrix, Eaglesoft, Open Dental, Denticon, Curve
		"patientlist", "patientinformation", "patientdemographics", "demographics", "patientexport", "patientreport", "patientroster", "patinfo", "chartlist"}},
	{TargetBusiness, "", "Office", "Offices", []string{"offices", "office", "clinics", "clinic", "practices", "practice", "locations", "companies", "businesses",
		"officelist", "clinicinfo", "practiceinfo", "practiceinformation", "locationlist"}},
	{TargetUser, "", "Staff", "Staff", []string{"staff", "providers", "provider", "users", "employees", "dentists", "team", "hygienists",
		"providerlist", "providersetup", "prov", "userod", "employeelist", "stafflist"}},
	{TargetCustomObject, "appointment", "Appointment", "Appointments", []string{"appointments", "appointment", "appts", "appt", "visits", "bookings", "schedule",
		"appointmentlist", "appointmentbook", "apptbook", "scheduledappointments", "scheduler", "dayschedule", "aptlist"}},
	{TargetCustomObject, "treatment", "Treatment", "Treatment history", []string{"procedures", "procedure", "procedurelog", "procedurelogs", "treatments", "treatmenthistory", "procs",
		"procedurescompleted", "completedprocedures", "proclog", "procedurehistory"}},
	{TargetCustomObject, "insurance_carrier", "Insurance carrier", "Insurance carriers", []string{"insurancecarriers", "carriers", "payers", "carrier",
		"insurancecompanies", "insurancecompany", "carrierlist", "payerlist"}},
	{TargetCustomObject, "insurance", "Insurance", "Insurance", []string{"coverages", "coverage", "insurance", "insplans", "patplans", "policies", "insurancepolicies",
		"insplan", "patplan", "inssub", "subscribers", "benefits"}},
	{TargetOpportunity, "", "Case", "Cases", []string{"treatmentplans", "treatmentplan", "cases", "opportunities", "treatplans", "deals", "casepipeline",
		"treatmentplanreport", "treatmentplanlist", "tplist", "tpreport", "proposedtreatment", "treatplan"}},
	{TargetNote, "", "Communication", "Communications", []string{"communications", "commlog", "commlogs", "messages", "calllog", "calls", "texts", "smslog",
		"contactlog", "communicationlog", "correspondence"}},
	{TargetContactField, "form_submissions", "Form submission", "Form submissions", []string{"formsubmissions", "forms", "intakeforms", "submissions", "sheets"}},
}

// notMigrated are entities the map does not carry, with the reason.
var notMigrated = map[string]string{
	"documents":        "no records", // with records: proposeDocuments
	"kpidefinitions":   "KPIs go to the handover pack (pbn2hl handover): kpis.csv, kpis.json and kpi_values.csv, with how to rebuild each in HighLevel",
	"kpivalues":        "KPIs go to the handover pack (pbn2hl handover): kpis.csv, kpis.json and kpi_values.csv, with how to rebuild each in HighLevel",
	"cohorts":          "a cohort is no HighLevel record: drafted from the PbN source, its membership becomes contact tags (mapping.DraftLinks: the patients' cohortIds rule), and the handover pack (pbn2hl handover) lists each cohort in cohorts.csv with its tag and smart-list filter",
	"automations":      "automations have no API equivalent; the handover pack (pbn2hl handover) documents each for Workflow Builder in guide.md, guide.html and guide.json",
	"customproperties": "the custom property catalogue becomes typed contact fields (see the patients object)",
	"deletions":        "deletions drive delta runs, not the map",
}

// synonyms lists, per target kind and standard field, normalised source
// names that mean it, strongest first.
var synonyms = map[TargetKind]map[string][]string{
	TargetContact: {
		"firstName":   {"firstname", "fname", "first", "givenname", "forename", "patfname", "ptfirstname", "namefirst", "first_name"},
		"lastName":    {"lastname", "lname", "last", "surname", "familyname", "patlname", "ptlastname", "namelast"},
		"name":        {"fullname", "patientname", "ptname", "name"},
		"email":       {"email", "emailaddress", "emailaddr", "mail", "eaddress", "email1", "primaryemail"},
		"phone":       {"mobilephone", "mobile", "cell", "cellphone", "cellnumber", "wirelessphone", "wireless", "mobilenumber", "phone", "phonenumber", "primaryphone", "tel", "telephone"},
		"dateOfBirth": {"dateofbirth", "dob", "birthdate", "birthday", "bday", "bdate", "birth"},
		"gender":      {"gender", "sex"},
		"address1":    {"address", "address1", "addressline1", "street", "streetaddress", "addr1", "addressline1", "line1", "addr"},
		"city":        {"city", "town", "addresscity"},
		"state":       {"state", "province", "st", "addressstate", "stateprovince"},
		"postalCode":  {"zip", "zipcode", "postalcode", "postcode", "addresspostalcode", "addresszip", "zip5"},
		"country":     {"country", "countrycode", "addresscountry"},
		"companyName": {"company", "companyname", "employer"},
		"source":      {"leadsource", "source", "referralsource", "referredby", "referral"},
		"timezone":    {"timezone", "tz"},
	},
	TargetBusiness: {
		"name":        {"name", "officename", "clinicname", "practicename", "description", "title"},
		"phone":       {"phone", "phonenumber", "telephone", "tel", "officephone"},
		"email":       {"email", "emailaddress"},
		"address":     {"address", "address1", "addressline1", "street", "line1", "addr1"},
		"city":        {"city", "addresscity", "town"},
		"state":       {"state", "addressstate", "province"},
		"postalCode":  {"zip", "zipcode", "postalcode", "addresspostalcode", "postcode"},
		"country":     {"country", "addresscountry"},
		"website":     {"website", "url", "web", "homepage"},
		"description": {"abbr", "abbreviation", "notes", "note"},
	},
	TargetOpportunity: {
		"name":          {"heading", "title", "name", "casename", "planname", "description"},
		"monetaryValue": {"amount", "monetaryvalue", "value", "total", "presentedamount", "totalfee", "fee", "presented"},
		"status":        {"status", "casestatus", "planstatus", "tpstatus"},
	},
	TargetNote: {
		"body": {"body", "note", "notes", "text", "message", "content", "comment", "comments"},
	},
	TargetUser: {
		"email": {"email", "emailaddress", "login", "username"},
		"name":  {"name", "fullname", "displayname"},
	},
}

// expectKind is the sniffed kind a standard field wants.
var expectKind = map[string]string{
	"email": "email", "phone": "phone", "dateOfBirth": "date", "monetaryValue": "money",
}

// refNames recognise reference fields by the entity they point at.
var refNames = map[TargetKind][]string{
	TargetContact: {"patientid", "patnum", "patid", "contactid", "clientid", "customerid", "personid", "ptid", "patient", "ptnum", "patientnum", "patientnumber", "patno", "ptno", "accountid", "chartid",
		"chartnum", "chartnumber", "chartno", "client", "clientnum", "clientno", "acctnum", "accountnum", "accountnumber", "patientno"},
	TargetBusiness: {"officeid", "clinicid", "clinicnum", "locationid", "practiceid", "office", "clinic"},
	TargetUser: {"assignedstaffid", "staffid", "ownerid", "assignedto", "userid", "providerid", "provnum", "provider", "dentistid", "dr", "doctor", "dentist",
		"primprovider", "primaryprovider", "provid", "provcode", "providercode", "usernum", "prov"},
}

// refQualifiers are the words practice systems put before a reference
// ("PriProv", "SecProv", "Primary Provider", "Main Office"): the reference
// is the rest.
var refQualifiers = []string{"primary", "prim", "pri", "secondary", "sec", "main", "preferred", "pref", "default", "usual"}

// refRank is the rank of a column name among refNames[kind] (lower is
// stronger), or -1 when the name is no reference to kind. "Provider 2"
// (numbered) and "PriProv" (qualified) count as the name they extend.
func refRank(kind TargetKind, column string) int {
	refs := refNames[kind]
	n := colName(column)
	for _, c := range []string{n, strings.TrimRight(n, "0123456789")} {
		if r := slices.Index(refs, c); r >= 0 {
			return r
		}
		for _, q := range refQualifiers {
			if rest, ok := strings.CutPrefix(c, q); ok && rest != "" {
				if r := slices.Index(refs, rest); r >= 0 {
					return r
				}
			}
		}
	}
	return -1
}

func classify(name string) (entityKind, float64, string) {
	n := normName(name)
	for _, k := range entityKinds {
		if slices.Contains(k.names, n) {
			return k, 0.95, fmt.Sprintf("entity name %q is a known name for %s", name, kindNoun(k))
		}
	}
	for _, tok := range strings.Split(snake(name), "_") {
		for _, k := range entityKinds {
			if slices.Contains(k.names, tok) || slices.Contains(k.names, tok+"s") {
				return k, 0.8, fmt.Sprintf("entity name %q contains %q, a known name for %s", name, tok, kindNoun(k))
			}
		}
	}
	best, bestS := entityKinds[0], 0.0
	for _, k := range entityKinds {
		for _, s := range k.names {
			if sc := similarity(n, s); sc > bestS {
				best, bestS = k, sc
			}
		}
	}
	if bestS >= 0.75 {
		return best, 0.5 + 0.4*bestS, fmt.Sprintf("entity name %q resembles %s", name, kindNoun(best))
	}
	sing := singularOf(name)
	k := entityKind{kind: TargetCustomObject, key: snake(sing), singular: titleWords(sing), plural: titleWords(name)}
	return k, 0.4, fmt.Sprintf("entity %q matches nothing known; proposed as a custom object", name)
}

func kindNoun(k entityKind) string {
	if k.kind == TargetCustomObject || k.kind == TargetContactField {
		return strings.ToLower(k.plural)
	}
	if k.kind == TargetOpportunity {
		return "opportunities"
	}
	return string(k.kind) + "s"
}

func objectName(entity string) string {
	s := snake(entity)
	if s == "" || !validKey(s) {
		s = "object_" + s
	}
	return s
}

// stageWords order common case-pipeline stages and give their usual win
// probability in percent.
var stageWords = []struct {
	word string
	prob float64
}{
	{"lead", 10}, {"new", 10}, {"inquir", 10}, {"consult", 20}, {"exam", 20}, {"diagnos", 25},
	{"present", 40}, {"quote", 40}, {"follow", 50}, {"pending", 50}, {"financ", 60}, {"insurance", 60},
	{"schedul", 80}, {"booked", 80}, {"accept", 100}, {"won", 100}, {"complete", 100}, {"started", 100},
	{"declin", 0}, {"lost", 0}, {"reject", 0}, {"abandon", 0},
}

// stageRank orders a stage by the first stage word it contains; unknown
// stages sit between "follow-up" and "financing".
func stageRank(s string) int {
	n := normName(s)
	for i, w := range stageWords {
		if strings.Contains(n, w.word) {
			return i
		}
	}
	return 10
}

func stageProbability(s string, _, _ int) float64 {
	n := normName(s)
	for _, w := range stageWords {
		if strings.Contains(n, w.word) {
			return w.prob
		}
	}
	return 50
}

// nameScore scores a normalised source name against a target field.
func nameScore(n, raw, to string, syn []string) (float64, string) {
	for i, s := range syn {
		if n == s {
			return 0.95 - 0.01*float64(min(i, 5)), fmt.Sprintf("%q is a known name for %s", raw, to)
		}
	}
	if n == normName(to) {
		return 0.95, fmt.Sprintf("%q is the name of %s", raw, to)
	}
	best := 0.0
	for _, s := range append([]string{normName(to)}, syn...) {
		short, long := s, n
		if len(short) > len(long) {
			short, long = long, short
		}
		if len(short) >= 4 && 2*len(short) >= len(long) && strings.Contains(long, short) {
			best = max(best, 0.7)
		}
		if sim := similarity(n, s); sim >= 0.75 {
			best = max(best, 0.75*sim)
		}
	}
	if best > 0 {
		return best, fmt.Sprintf("%q resembles %s", raw, to)
	}
	return 0, ""
}

// similarity is 1 − edit distance / longer length.
func similarity(a, b string) float64 {
	if a == "" || b == "" {
		return 0
	}
	d := editDistance(a, b)
	l := max(len(a), len(b))
	return 1 - float64(d)/float64(l)
}

// normName lower-cases a name and drops everything but letters and digits.
func normName(s string) string {
	var b strings.Builder
	for _, r := range s {
		if unicode.IsLetter(r) || unicode.IsDigit(r) {
			b.WriteRune(unicode.ToLower(r))
		}
	}
	return b.String()
}

func singularOf(s string) string {
	s = strings.TrimSpace(s)
	switch {
	case strings.HasSuffix(s, "ies"):
		return s[:len(s)-3] + "y"
	case strings.HasSuffix(s, "sses"), strings.HasSuffix(s, "xes"):
		return s[:len(s)-2]
	case strings.HasSuffix(s, "ss"), strings.HasSuffix(s, "us"):
		return s
	case strings.HasSuffix(s, "s"):
		return s[:len(s)-1]
	}
	return s
}

func titleWords(s string) string {
	w := strings.ReplaceAll(snake(s), "_", " ")
	if w == "" {
		return s
	}
	return strings.ToUpper(w[:1]) + w[1:]
}

func round2(f float64) float64 { return float64(int(f*100+0.5)) / 100 }
