package pbntest

import (
	"fmt"
	"strings"
	"time"

	pbn "github.com/pbnhl/pbnhl/practicebynumbers"
)

// Families are laid out in blocks of familyBlock consecutive patients: a
// block's seed splits it into households, so the household of any patient is
// found in O(1) without a global table.
const familyBlock = 8

var familySizes = newWeighted(wv[int]{1, 42}, wv[int]{2, 22}, wv[int]{3, 15}, wv[int]{4, 13}, wv[int]{5, 8})

type family struct{ head, size, pos int } // patient indexes; pos 0 is the guarantor

func (p *Practice) family(i int) family {
	b := i / familyBlock
	start := b * familyBlock
	n := min(familyBlock, p.patients-start)
	r := newRNG(p.seed, domFamilyBlock, uint64(b))
	for off := 0; off < n; {
		s := min(familySizes.draw(&r), n-off)
		if i-start < off+s {
			return family{head: start + off, size: s, pos: i - start - off}
		}
		off += s
	}
	return family{head: i, size: 1} // unreachable for i < p.patients
}

type patientKind uint8

const (
	kindRegular patientKind = iota
	kindPlaceholder
	kindDuplicate
)

// core is what must be known about a patient before generating anything:
// cheap, drawn from its own stream.
type core struct {
	fam    family
	kind   patientKind
	status pbn.PatientStatus
	role   role
}

type role uint8

const (
	roleHead role = iota
	roleSpouse
	roleChild
)

var regularStatuses = newWeighted(
	wv[pbn.PatientStatus]{pbn.PatientStatusPatient, 80},
	wv[pbn.PatientStatus]{pbn.PatientStatusInactive, 8},
	wv[pbn.PatientStatus]{pbn.PatientStatusProspective, 4.5},
	wv[pbn.PatientStatus]{pbn.PatientStatusNonPatient, 2.5},
	wv[pbn.PatientStatus]{pbn.PatientStatusArchived, 2},
	wv[pbn.PatientStatus]{pbn.PatientStatusDeceased, 1.5},
	wv[pbn.PatientStatus]{pbn.PatientStatusDeleted, 1},
)

func (p *Practice) core(i int) core {
	c := core{fam: p.family(i)}
	r := newRNG(p.seed, domPatient, uint64(i), 0)
	switch {
	case c.fam.pos == 0:
		c.role = roleHead
	case c.fam.pos == 1 && r.chance(0.65):
		c.role = roleSpouse
	default:
		c.role = roleChild
	}
	kindDraw := r.float()
	switch {
	case c.fam.size == 1 && kindDraw < 0.02:
		c.kind = kindPlaceholder
	case c.fam.pos > 0 && kindDraw < 0.05:
		c.kind = kindDuplicate
	}
	switch c.kind {
	case kindPlaceholder:
		c.status = pbn.PatientStatusProspective
		if r.chance(0.2) {
			c.status = pbn.PatientStatusDeleted
		}
	case kindDuplicate:
		c.status = pbn.PatientStatusArchived // merged away
		if r.chance(0.5) {
			c.status = pbn.PatientStatusPatient // never noticed
		}
	default:
		c.status = regularStatuses.draw(&r)
		if c.status == pbn.PatientStatusNonPatient && c.role != roleHead {
			c.status = pbn.PatientStatusPatient // only guarantors are non-patients
		}
		if c.status == pbn.PatientStatusDeceased && c.role == roleChild {
			c.status = pbn.PatientStatusInactive
		}
	}
	return c
}

// household is what a family shares: surname, address, home phone, office,
// insurance.
type household struct {
	last        string
	city        cityState
	line1       string
	line2       string
	zip         string
	stateStyle  int
	area        int
	exch        int
	line        int
	phoneStyle  PhoneFormat
	officeID    int64
	language    string
	carrierID   int64
	carrier2ID  int64
	group       string
	groupNumber string
	subscriber  string
	created     time.Time
}

func (p *Practice) household(head int) household {
	r := newRNG(p.seed, domHousehold, uint64(head))
	h := household{last: pick(&r, lastNames), city: pick(&r, cities)}
	h.line1 = fmt.Sprintf("%d %s", r.between(1, 29999), pick(&r, streetNames))
	if r.chance(0.15) {
		h.line2 = pick(&r, address2s)
	}
	h.zip = fmt.Sprintf("%s%02d", h.city.zip, r.intn(100))
	if r.chance(0.2) {
		h.zip += fmt.Sprintf("-%04d", r.intn(10000))
	}
	h.stateStyle = r.intn(100)
	h.area, h.exch, h.line = r.between(201, 989), r.between(200, 999), r.intn(10000)
	h.phoneStyle = phoneStyles.draw(&r)
	if r.chance(0.03) {
		h.officeID = 0 // ClinicNum 0: no office
	} else {
		h.officeID = int64(1 + weightedOffice(&r, len(p.offices)))
	}
	h.language = pick(&r, languages)
	h.carrierID = int64(1 + r.intn(len(p.carriers)))
	h.carrier2ID = int64(1 + r.intn(len(p.carriers)))
	h.group = pick(&r, groupNames)
	h.groupNumber = fmt.Sprintf("%d", r.between(10000, 9999999))
	if r.chance(0.3) {
		h.groupNumber = fmt.Sprintf("G-%05d", r.intn(100000))
	}
	h.subscriber = fmt.Sprintf("%s%09d", pick(&r, []string{"", "XHB", "W", "U", "DDS"}), r.intn(1_000_000_000))
	h.created = between(&r, practiceFounded, p.asOf.AddDate(0, -1, 0))
	return h
}

// weightedOffice favours the first offices (the flagship is the busiest).
func weightedOffice(r *rng, n int) int {
	for k := range n - 1 {
		if r.chance(0.45) {
			return k
		}
	}
	return n - 1
}

// identity is a person's name, sex and birth date.
type identity struct {
	first, middle, last string
	gender              pbn.Gender
	birth               pbn.Date
	age                 int
}

func (p *Practice) identity(i int, c core, h household) identity {
	if c.kind == kindDuplicate {
		prev := i - 1
		return p.identity(prev, p.core(prev), h)
	}
	r := newRNG(p.seed, domPerson, uint64(i))
	if c.kind == kindPlaceholder {
		id := identity{first: pick(&r, []string{"New", "NEW", "Pt", "Unknown"}), last: pick(&r, []string{"Patient", "Appointment", "New Patient", "Call In"}), gender: pbn.GenderUnknown}
		if r.chance(0.3) {
			id.first = pick(&r, firstNamesFemale)
		}
		return id
	}
	var id identity
	switch r.intn(100) {
	case 0, 1:
		id.gender = pbn.GenderUnknown
	case 2:
		id.gender = pbn.GenderOther
	default:
		id.gender = pbn.GenderFemale
		if r.chance(0.47) {
			id.gender = pbn.GenderMale
		}
	}
	if id.gender == pbn.GenderMale || (id.gender != pbn.GenderFemale && r.chance(0.5)) {
		id.first = pick(&r, firstNamesMale)
	} else {
		id.first = pick(&r, firstNamesFemale)
	}
	id.middle = pick(&r, middleInitials)
	id.last = h.last
	switch c.role {
	case roleHead:
		id.age = r.between(22, 88)
	case roleSpouse:
		id.age = r.between(22, 80)
		if r.chance(0.15) {
			id.last = pick(&r, lastNames) // kept her/his own name
		}
	default:
		id.age = r.between(0, 24)
		if r.chance(0.08) {
			id.last = h.last + "-" + pick(&r, lastNames)
		}
	}
	if c.status == pbn.PatientStatusDeceased {
		id.age = max(id.age, r.between(60, 95))
	}
	bd := p.asOf.AddDate(-id.age, 0, -r.intn(365))
	id.birth = pbn.DateOf(bd)
	if r.chance(0.025) {
		id.birth = pbn.Date{} // 0001-01-01 in the source
	}
	return id
}

var nicknames = map[string]string{
	"Robert": "Bob", "William": "Bill", "Elizabeth": "Liz", "Katherine": "Kate", "Margaret": "Peggy",
	"Richard": "Rick", "Michael": "Mike", "James": "Jim", "Jennifer": "Jen", "Christopher": "Chris",
	"Joseph": "Joe", "Patricia": "Pat", "Thomas": "Tom", "Daniel": "Dan", "Samantha": "Sam", "Jesús": "Chuy",
	"Alexander": "Alex", "Deborah": "Debbie", "Nicholas": "Nick", "Victoria": "Tori", "Anthony": "Tony",
}

var contactMethods = newWeighted(
	wv[pbn.ContactMethod]{pbn.ContactMethodNone, 30},
	wv[pbn.ContactMethod]{pbn.ContactMethodText, 25},
	wv[pbn.ContactMethod]{pbn.ContactMethodMobile, 12},
	wv[pbn.ContactMethod]{pbn.ContactMethodEmail, 12},
	wv[pbn.ContactMethod]{pbn.ContactMethodHomePhone, 10},
	wv[pbn.ContactMethod]{pbn.ContactMethodWorkPhone, 3},
	wv[pbn.ContactMethod]{pbn.ContactMethodMail, 3},
	wv[pbn.ContactMethod]{pbn.ContactMethodDoNotCall, 3},
	wv[pbn.ContactMethod]{pbn.ContactMethodSeeNotes, 2},
)

var consents = newWeighted(wv[pbn.Consent]{pbn.ConsentYes, 60}, wv[pbn.Consent]{pbn.ConsentUnknown, 25}, wv[pbn.Consent]{pbn.ConsentNo, 15})

// bulkStamp is the instant a PMS bulk update touched many rows without
// changing their content (spurious change stamps).
var bulkStamp = time.Date(2025, time.February, 3, 7, 12, 44, 0, time.UTC)

// patientAt builds patient index i.
func (p *Practice) patientAt(i int) pbn.Patient {
	c := p.core(i)
	h := p.householdOf(c.fam.head).h
	id := p.identity(i, c, h)
	r := newRNG(p.seed, domPatient, uint64(i), 1)
	pt := pbn.Patient{
		ID:            kid(int64(i + 1)),
		FirstName:     id.first,
		LastName:      id.last,
		MiddleInitial: id.middle,
		Status:        c.status,
		Gender:        id.gender,
		BirthDate:     id.birth,
		GuarantorID:   kid(int64(c.fam.head + 1)),
		OfficeID:      kid(h.officeID),
	}
	switch x := r.intn(100); {
	case x < 2:
		pt.FirstName, pt.LastName = strings.ToUpper(pt.FirstName), strings.ToUpper(pt.LastName)
	case x < 3:
		pt.LastName += " " // trailing blank, as typed
	case x < 4:
		pt.FirstName = " " + pt.FirstName
	case x < 5 && c.kind == kindRegular:
		pt.LastName += pick(&r, nameSuffixes)
	case x < 6:
		pt.FirstName = strings.ToLower(pt.FirstName)
	}
	if nick, ok := nicknames[id.first]; ok && r.chance(0.4) {
		pt.PreferredName = nick
	} else if r.chance(0.04) {
		pt.PreferredName = id.middle
	}
	isPlaceholder := c.kind == kindPlaceholder
	if !isPlaceholder || r.chance(0.2) {
		pt.Address = p.address(&r, h)
	}

	// Phones: the household's number, written however this chart's clerk
	// wrote it; children usually copy the guarantor's.
	if !r.chance(0.22) {
		style := h.phoneStyle
		if c.role != roleHead && r.chance(0.3) || c.kind == kindDuplicate {
			style = phoneStyles.draw(&r)
		}
		pt.HomePhone = formatPhone(&r, style, h.area, h.exch, h.line)
	}
	adult := id.age >= 18 || isPlaceholder
	if (adult && r.chance(0.78)) || (!adult && id.age >= 13 && r.chance(0.35)) || isPlaceholder {
		pt.MobilePhone = formatPhone(&r, phoneStyles.draw(&r), r.between(201, 989), r.between(200, 999), r.intn(10000))
	}
	if adult && !isPlaceholder && r.chance(0.15) {
		style := phoneStyles.draw(&r)
		if r.chance(0.5) {
			style = PhoneDotsExt
		}
		pt.WorkPhone = formatPhone(&r, style, r.between(201, 989), r.between(200, 999), r.intn(10000))
	}

	pt.Email = p.email(&r, i, c, id)

	if pt.OfficeID != pbn.NoKey || r.chance(0.5) {
		oi := int(num(pt.OfficeID))
		pt.ProviderID = pick(&r, p.dentists[oi])
		if r.chance(0.04) {
			pt.ProviderID = pick(&r, p.hiddenProv) // left the practice years ago
		}
		if r.chance(0.7) {
			pt.HygienistID = pick(&r, p.hygienists[oi])
		}
		if r.chance(0.55) {
			pt.AssignedStaffID = pick(&r, p.users[oi])
		}
	}
	pt.ContactMethod = contactMethods.draw(&r)
	pt.TextConsent = consents.draw(&r)
	pt.EmailConsent = consents.draw(&r)
	pt.Language = h.language
	if r.chance(0.35) {
		pt.ChartNumber = fmt.Sprintf("%s%06d", pick(&r, []string{"", "A", "OD-", "00"}), r.intn(1_000_000))
	}
	pt.CohortIDs = p.cohortMembership(i)

	created := between(&r, h.created, p.asOf.AddDate(0, 0, -7))
	if isPlaceholder {
		created = between(&r, p.asOf.AddDate(-2, 0, 0), p.asOf.AddDate(0, 0, -7))
	}
	pt.CreatedAt = created
	pt.UpdatedAt = between(&r, created, p.asOf)
	if r.chance(0.12) && bulkStamp.After(created) {
		pt.UpdatedAt = bulkStamp
	}
	if c.status != pbn.PatientStatusProspective && !isPlaceholder && c.status != pbn.PatientStatusNonPatient {
		pt.FirstVisit = pbn.DateOf(created.AddDate(0, 0, r.intn(30)))
		if r.chance(0.03) {
			pt.FirstVisit = pbn.Date{}
		}
	}
	pt.Notes = p.patientNotes(i, pt)
	pt.Custom = p.customValues(&r, i, c)
	return pt
}

func (p *Practice) address(r *rng, h household) pbn.Address {
	a := pbn.Address{Line1: h.line1, Line2: h.line2, City: h.city.city, PostalCode: h.zip}
	switch {
	case h.stateStyle < 70:
		a.State = h.city.abbr
	case h.stateStyle < 88:
		a.State = h.city.full // "Maine"
	case h.stateStyle < 94:
		a.State = strings.ToLower(h.city.abbr)
	case h.stateStyle < 97:
		a.State = strings.ToUpper(h.city.full)
	}
	if h.city.abbr == "ME" && h.stateStyle%3 == 0 {
		a.PostalCode = strings.TrimPrefix(a.PostalCode, "0") // lost its leading zero in a spreadsheet
	}
	if r.chance(0.05) {
		a.Country = "US"
	}
	if r.chance(0.02) {
		a.City = strings.ToUpper(a.City)
	}
	return a
}

// email gives a patient an address in one of the shapes real charts hold:
// own, the guarantor's (shared), a front-desk placeholder (shared across
// families), malformed, padded or mixed case, or none.
func (p *Practice) email(r *rng, i int, c core, id identity) string {
	if c.kind == kindPlaceholder {
		if r.chance(0.5) {
			return pick(r, sharedEmails)
		}
		return ""
	}
	if c.role == roleHead {
		return p.headEmail(i)
	}
	{
		share := 0.2
		if c.role == roleChild {
			share = 0.55
		}
		if r.chance(share) {
			return p.headEmail(c.fam.head)
		}
		if c.role == roleChild && (id.age < 13 || r.chance(0.5)) {
			return ""
		}
	}
	return p.ownEmail(r, id)
}

func (p *Practice) headEmail(head int) string { return p.householdOf(head).email }

// hhEntry is a cached household with its guarantor's email: family members
// are generated next to each other, so a small direct-mapped cache saves
// rebuilding them for every member. Entries are pure functions of (seed,
// head), so the cache never changes what is generated.
type hhEntry struct {
	head  int
	h     household
	email string
}

const hhCacheSize = 1024

func (p *Practice) householdOf(head int) *hhEntry {
	slot := &p.hhCache[head%hhCacheSize]
	if e := slot.Load(); e != nil && e.head == head {
		return e
	}
	e := &hhEntry{head: head, h: p.household(head)}
	e.email = p.guarantorEmail(head, e.h)
	slot.Store(e)
	return e
}

func (p *Practice) guarantorEmail(head int, h household) string {
	c := p.core(head)
	id := p.identity(head, c, h)
	r := newRNG(p.seed, domPerson, uint64(head), 7)
	return p.ownEmail(&r, id)
}

func (p *Practice) ownEmail(r *rng, id identity) string {
	x := r.intn(100)
	e := emailFor(id.first, id.last, pick(r, emailDomains), r)
	switch {
	case x < 12:
		return ""
	case x < 15:
		return pick(r, sharedEmails)
	case x < 19:
		return malformEmail(r, e)
	case x < 22:
		return " " + strings.ToUpper(e[:1]) + e[1:] + " "
	case x < 24:
		return strings.ToUpper(e)
	}
	return e
}

func malformEmail(r *rng, e string) string {
	at := strings.IndexByte(e, '@')
	local, domain := e[:at], e[at+1:]
	switch r.intn(8) {
	case 0:
		return local + "@" + strings.TrimSuffix(strings.TrimSuffix(domain, ".com"), ".net") // no TLD
	case 1:
		return local + " @" + domain
	case 2:
		return local + "@@" + domain
	case 3:
		return local + "." + domain // @ typed as .
	case 4:
		return local + "@" + strings.Replace(domain, ".", ",", 1)
	case 5:
		return "N/A"
	case 6:
		return local + "@" + domain + "; " + local + "2@" + domain // two in one field
	default:
		return local + ".@" + domain
	}
}

var referralSources = []string{"Google", "Friend or family", "Insurance directory", "Yelp", "Drive by", "Referred by Dr. Patel", "Facebook ad", "Mailer", "Walk-in"}

func (p *Practice) customValues(r *rng, i int, c core) map[string]string {
	if c.kind == kindPlaceholder {
		return nil
	}
	m := map[string]string{}
	if r.chance(0.4) {
		v := pick(r, caseTypes)
		switch r.intn(12) {
		case 0:
			v = strings.ToLower(v)
		case 1:
			v += " "
		case 2:
			v = "Implant/Ortho" // not an option: entered before the list was locked
		}
		m[PropCaseType] = v
	}
	if r.chance(0.35) {
		m[PropReferralSource] = pick(r, referralSources)
	}
	if r.chance(0.6) {
		cents := r.between(0, 5_000_000)
		switch r.intn(4) {
		case 0:
			m[PropLifetimeProd] = fmt.Sprintf("%d.%02d", cents/100, cents%100)
		case 1:
			m[PropLifetimeProd] = "$" + withCommas(cents/100) + fmt.Sprintf(".%02d", cents%100)
		case 2:
			m[PropLifetimeProd] = withCommas(cents / 100)
		default:
			m[PropLifetimeProd] = fmt.Sprint(cents / 100)
		}
	}
	if r.chance(0.2) {
		m[PropLastPerioCharting] = p.messyDate(r, between(r, p.asOf.AddDate(-6, 0, 0), p.asOf))
	}
	if r.chance(0.15) {
		m[PropPreferredHyg] = pick(r, p.properties[4].Options)
	}
	if r.chance(0.25) {
		m[PropOutstandingTx] = fmt.Sprintf("%d.%02d", r.between(0, 12000), r.intn(100))
	}
	if r.chance(0.5) {
		m[PropRecallDue] = p.messyDate(r, between(r, p.asOf.AddDate(-2, 0, 0), p.asOf.AddDate(0, 9, 0)))
	}
	if r.chance(0.5) {
		m[PropMarketingOptIn] = pick(r, []string{"Yes", "No", "Yes", "No", "Yes", "No", "Yes", "No", "Y", "yes"})
	}
	if r.chance(0.5) {
		m[PropInsuranceCarrier] = p.carriers[r.intn(len(p.carriers))].Name
	}
	if len(m) == 0 {
		return nil
	}
	return m
}

// messyDate writes a date the way custom property values arrive: ISO, US,
// or the "no date" sentinel.
func (p *Practice) messyDate(r *rng, t time.Time) string {
	switch r.intn(10) {
	case 0:
		return "0001-01-01"
	case 1, 2:
		return t.Format("01/02/2006")
	case 3:
		return t.Format("1/2/2006")
	}
	return t.Format("2006-01-02")
}

func withCommas(n int) string {
	s := fmt.Sprint(n)
	var b strings.Builder
	for k, c := range s {
		if k > 0 && (len(s)-k)%3 == 0 {
			b.WriteByte(',')
		}
		b.WriteRune(c)
	}
	return b.String()
}
