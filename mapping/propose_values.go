package mapping

// What the proposer decides from a column's values rather than its name:
// standard fields recognised by their values, columns skipped on purpose
// (sensitive data, balances, display settings), and typed rules whose
// values would not parse.

import (
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/pbnhl/pbnhl/mapping/transform"
)

// sensitiveNames are normalised column names (or name parts) of data kept
// out of HighLevel by default: national ids, payment and bank details,
// secrets. Moving them is a privacy decision a person makes in the map.
var sensitiveNames = []struct{ part, what string }{
	{"ssn", "a social security number"}, {"socialsecurity", "a social security number"}, {"socsec", "a social security number"},
	{"nationalid", "a national id"}, {"nationalinsurance", "a national id"}, {"nhsnumber", "a national health number"}, {"nhsno", "a national health number"},
	{"medicarenumber", "a national health number"}, {"medicareno", "a national health number"}, {"healthcard", "a national health number"}, {"taxid", "a tax id"}, {"passport", "a passport number"},
	{"driverslicense", "a driver's licence number"}, {"driverlicense", "a driver's licence number"},
	{"creditcard", "a payment card number"}, {"cardnumber", "a payment card number"}, {"cardno", "a payment card number"},
	{"cardlast4", "part of a payment card number"}, {"cardlastfour", "part of a payment card number"}, {"ccnum", "a payment card number"},
	{"cvv", "a card security code"}, {"cvc", "a card security code"}, {"cardexp", "a card expiry"},
	{"bankaccount", "a bank account number"}, {"routingnumber", "a bank routing number"}, {"routingno", "a bank routing number"},
	{"iban", "a bank account number"}, {"accountholder", "bank account details"},
	{"password", "a password"}, {"passwd", "a password"}, {"pwd", "a password"}, {"pincode", "a PIN"}, {"secret", "a secret"},
}

// sensitiveExact are whole normalised names that are sensitive but too
// short to match as parts.
var sensitiveExact = map[string]string{"sin": "a national id", "tin": "a tax id", "pin": "a PIN", "nin": "a national id", "pass": "a password"}

// sensitive says why a column holds data not migrated by default, from its
// name or its values ("" when it does not).
func sensitive(f FieldInventory, sn sniff) string {
	n := normName(f.Name)
	if what, ok := sensitiveExact[n]; ok {
		return fmt.Sprintf("the name says %s", what)
	}
	for _, s := range sensitiveNames {
		if strings.Contains(n, s.part) {
			return fmt.Sprintf("the name says %s", s.what)
		}
	}
	switch {
	case sn.n > 0 && sn.has("ssn") >= 0.5:
		return fmt.Sprintf("%d of %d sample values are written like social security numbers", sn.shapes["ssn"], sn.n)
	case sn.n > 0 && sn.has("card") >= 0.5:
		return fmt.Sprintf("%d of %d sample values are payment card numbers (Luhn check)", sn.shapes["card"], sn.n)
	}
	return ""
}

// routineSkips are columns usually not worth migrating, with why. They are
// skipped at a modest confidence so the review shows them.
var routineSkips = []struct {
	parts []string
	why   string
	conf  float64
}{
	{[]string{"balance", "amountdue", "balancedue"}, "a running balance: it belongs to the billing system, and a copy in the CRM goes stale at once", 0.7},
	{[]string{"color", "colour"}, "a display setting of the source system", 0.8},
	{[]string{"pattern", "itemorder", "sortorder", "ishidden", "hidden", "font", "sort"}, "a display setting of the source system", 0.6},
	{[]string{"age"}, "an age: derived from the birth date, and stale the day after the export", 0.7},
}

// routineSkip says why a column is usually left out ("" when it is not).
func routineSkip(f FieldInventory) (string, float64) {
	n := normName(f.Name)
	for _, r := range routineSkips {
		for _, p := range r.parts {
			if n == p || len(p) >= 5 && strings.Contains(n, p) {
				return fmt.Sprintf("%q reads as %s", f.Name, r.why), r.conf
			}
		}
	}
	return "", 0
}

// mobileWords and landlineWords tell phone columns apart by name
// ("mphone" and "hphone" are table-export abbreviations).
var (
	mobileWords   = []string{"cell", "mobile", "wireless", "mphone", "cphone", "sms"}
	landlineWords = []string{"home", "work", "office", "land", "fax", "hphone", "wphone", "hmphone", "wkphone", "business", "tel"}
)

// notBirthWords in a column name say its dates are events, not births.
var notBirthWords = []string{"visit", "seen", "appt", "appointment", "created", "updated", "modified", "service", "due",
	"recall", "entry", "since", "start", "end", "last", "first", "next", "date"}

// valueTarget recognises a standard field of kind from the column's values
// alone: what the name does not say, the values may. It returns "" when no
// standard field fits; why names the evidence (counts, never values).
func valueTarget(kind TargetKind, f FieldInventory, sn sniff, std []string) (to string, conf float64, why string) {
	if sn.n < 3 {
		return "", 0, ""
	}
	of := func(shape, what string) string {
		return fmt.Sprintf("the values decided: %d of %d sample values %s", sn.shapes[shape], sn.n, what)
	}
	try := func(t string, c float64, w string) bool {
		if slices.Contains(std, t) {
			to, conf, why = t, c, w
			return true
		}
		return false
	}
	switch {
	case sn.has("email") >= 0.8 && try("email", 0.8, of("email", "are email addresses")):
	case sn.has("phone") >= 0.8 && sn.has("zip") == 0 && try("phone", 0.75, of("phone", "are phone numbers")):
	case sn.has("url") >= 0.8 && try("website", 0.75, of("url", "are web addresses")):
	case kind == TargetContact && birthDates(sn) && !containsAny(normName(f.Name), notBirthWords) && try("dateOfBirth", 0.7, of("date", "are dates spread over decades in the past, like birth dates")):
	case sn.has("zip") >= 0.9 && try("postalCode", 0.7, of("zip", "are ZIP codes")):
	case sn.has("state") >= 0.9 && try("state", 0.7, of("state", "are US state codes")):
	case kind == TargetContact && sn.has("person") >= 0.8 && try("name", 0.65, of("person", "are written like full names")):
	case kind == TargetOpportunity && sn.kind == "money" && sn.definite() && try("monetaryValue", 0.65, of("number", "are amounts")):
	}
	return to, conf, why
}

// birthDates: dates, none in the future, nearly all at least five years
// old and spread over many years, as birth dates are (visit and creation
// dates bunch in recent years).
func birthDates(sn sniff) bool {
	return sn.has("date") >= 0.8 && sn.shapes["future"] == 0 && sn.has("oldyears") >= 0.8 && sn.shapes["years"] >= min(8, sn.n/2)
}

// contradicts reports whether the values plainly are something other than
// what standard field to holds (a "Contact" column of e-mail addresses is
// not a phone).
func contradicts(to string, sn sniff) bool {
	want, ok := expectKind[to]
	return ok && sn.definite() && sn.kind != want && !(want == "date" && sn.kind == "timestamp")
}

// parseCheck runs a rule's transform chain over the column's samples and
// counts the values it would reject, with the most frequent reason. Reasons
// come from the transforms and checks and never quote a value.
func parseCheck(kind TargetKind, r Field, f FieldInventory) (bad, n int, reason string) {
	fn, err := DefaultRegistry().CompileChain(r.Transform)
	if err != nil {
		return 0, 0, ""
	}
	reasons := map[string]int{}
	for _, v := range f.Samples {
		if strings.TrimSpace(v) == "" {
			continue
		}
		n++
		out := v
		if fn != nil {
			if out, err = fn(v); err != nil {
				bad++
				reasons[reasonOf(err)]++
				continue
			}
		}
		if out == "" {
			continue
		}
		msg := ""
		if r.Type != "" {
			if !r.Type.HasOptions() {
				msg = checkType(r.Type, out, nil)
			}
		} else {
			msg = checkStandard(kind, r.To, out)
		}
		if msg != "" {
			bad++
			reasons[msg]++
		}
	}
	best := 0
	for _, k := range slices.Sorted(func(yield func(string) bool) {
		for k := range reasons {
			if !yield(k) {
				return
			}
		}
	}) {
		if reasons[k] > best {
			reason, best = k, reasons[k]
		}
	}
	return bad, n, reason
}

func containsAny(s string, parts []string) bool {
	return slices.ContainsFunc(parts, func(p string) bool { return strings.Contains(s, p) })
}

// checkValues runs a typed rule over the column's samples. Values a rule
// would reject are records (or fields) lost at run time, so they are
// reported, never silent: a few rejects keep the rule at a confidence that
// puts it in the review; when most values would be rejected the typed
// field is not mapped and the column is kept as text in a custom field.
// Two-digit years are read with a pivot, a guess the review asks about.
func checkValues(kind TargetKind, r Field, f FieldInventory, model string, opts ProposeOptions) Field {
	if r.From == "" || r.Value != "" {
		return r
	}
	bad, n, reason := parseCheck(kind, r, f)
	if n == 0 || bad == 0 {
		return r
	}
	what := r.To
	if r.Type != "" {
		what = "a " + string(r.Type) + " field"
	}
	if strings.Contains(reason, "two-digit year") && (r.To == "dateOfBirth" || r.Type == TypeDate) {
		pivot := (time.Now().Year() + 1) % 100
		alt := r
		alt.Transform = Chain{{Name: "date", Args: map[string]string{"two_digit_pivot": strconv.Itoa(pivot)}}}
		if bad2, _, _ := parseCheck(kind, alt, f); bad2*2 <= n {
			alt.Confidence = min(r.Confidence, 0.5)
			alt.Reason += fmt.Sprintf("; %d of %d sample dates have two-digit years: read with two_digit_pivot %d (%02d and later are 19xx), a guess to confirm", bad, n, pivot, pivot)
			if bad2 > 0 {
				alt.Reason += fmt.Sprintf("; %d of %d sample values would still be rejected", bad2, n)
			}
			return alt
		}
	}
	if kind == TargetOpportunity && r.To == "status" {
		if alt, ok := statusValues(r, f); ok {
			return alt
		}
	}
	if strings.Contains(reason, "month out of range") && (r.To == "dateOfBirth" || r.Type == TypeDate || r.To == "dueDate") {
		// A day above 12 in the first place: the column is written
		// day-first (24/05/1942), and its other dates are too.
		alt := r
		alt.Transform = Chain{{Name: "date", Args: map[string]string{"day_first": "true"}}}
		if bad2, _, _ := parseCheck(kind, alt, f); bad2*4 <= bad {
			alt.Confidence = min(r.Confidence, 0.75)
			alt.Reason += fmt.Sprintf("; read day-first: %d of %d sample dates only parse that way", bad-bad2, n)
			return alt
		}
	}
	if bad*2 <= n {
		r.Confidence = min(r.Confidence, 0.55)
		r.Reason += fmt.Sprintf("; %d of %d sample values would be rejected (%s)", bad, n, reason)
		return r
	}
	if kind == TargetNote || kind == TargetUser || kind == TargetBusiness {
		r.Confidence = min(r.Confidence, 0.4)
		r.Reason += fmt.Sprintf("; but %d of %d sample values would be rejected as %s (%s)", bad, n, what, reason)
		return r
	}
	alt := customRule(f, sniff{kind: "text", typ: TypeText}, kind, model, opts)
	alt.Confidence = 0.45
	alt.Reason = fmt.Sprintf("%d of %d sample values would be rejected as %s (%s): kept as text in a custom field instead", bad, n, what, reason)
	return alt
}

// statusWords read a case's status as HighLevel's opportunity status.
var statusWords = []struct{ word, status string }{
	{"declin", "lost"}, {"reject", "lost"}, {"refus", "lost"}, {"lost", "lost"},
	{"inactive", "abandoned"}, {"abandon", "abandoned"}, {"cancel", "abandoned"}, {"expire", "abandoned"}, {"archiv", "abandoned"},
	{"accept", "won"}, {"won", "won"}, {"complete", "won"}, {"started", "won"}, {"closed", "won"},
	{"saved", "open"}, {"active", "open"}, {"open", "open"}, {"new", "open"}, {"pending", "open"}, {"propos", "open"},
	{"present", "open"}, {"schedul", "open"}, {"progress", "open"},
}

// statusValues maps a case status column's sampled values to open, won,
// lost or abandoned by their words, when every one of them reads as one:
// HighLevel refuses any other status. Unknown values become open. The
// mapping is a reading of words, so it goes to review.
func statusValues(r Field, f FieldInventory) (Field, bool) {
	var vm ValueMap
	seen := map[string]bool{}
	for _, v := range f.Samples {
		v = transform.Collapse(v)
		if v == "" || seen[v] {
			continue
		}
		seen[v] = true
		n := normName(v)
		to := ""
		for _, w := range statusWords {
			if strings.Contains(n, w.word) {
				to = w.status
				break
			}
		}
		if to == "" || len(vm) >= maxOptions {
			return r, false
		}
		vm = append(vm, Pair{From: v, To: to})
	}
	if len(vm) == 0 {
		return r, false
	}
	slices.SortFunc(vm, func(a, b Pair) int { return strings.Compare(a.From, b.From) })
	r.Values, r.Unknown, r.Default = vm, UnknownDefault, "open"
	r.Confidence = min(r.Confidence, 0.55)
	r.Reason += fmt.Sprintf("; HighLevel takes only open, won, lost and abandoned: the %d sampled statuses are mapped by their words (others become open) — check", len(vm))
	return r, true
}
