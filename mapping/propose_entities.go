package mapping

// Recognising what a file holds from its columns and values, whatever the
// file is called: a patients file is the one with names, birth dates and
// phones. The file name is one piece of evidence (classify), the columns
// another (classifyByColumns); recogniseEntity weighs them.

import (
	"fmt"
	"slices"
	"strings"
)

// columnSignals are the column meanings the entity signatures test, each
// with the normalised names (or name parts, with a leading '~') that mean
// it. Names come from Dentrix, Eaglesoft, Open Dental, Denticon and Curve
// reports as well as PbN.
var columnSignals = map[string][]string{
	"first":     {"firstname", "fname", "first", "givenname", "forename", "patfname", "namefirst"},
	"last":      {"lastname", "lname", "last", "surname", "familyname", "patlname", "namelast"},
	"fullname":  {"name", "fullname", "patientname", "ptname", "clientname", "patient", "client"},
	"dob":       {"dob", "birthdate", "dateofbirth", "birthday", "bdate", "birth"},
	"phone":     {"~phone", "~cell", "~mobile", "~wireless", "tel", "telephone", "~phoneno"},
	"email":     {"~email", "~mail"},
	"address":   {"~address", "street", "~zip", "postalcode", "postal", "city", "town"},
	"cdt":       {"adacode", "proccode", "procedurecode", "cdt", "cdtcode", "code", "proccodes"},
	"tooth":     {"~tooth", "surface", "surf", "quadrant"},
	"fee":       {"~fee", "amount", "~charge", "~price"},
	"apptwhen":  {"apptdate", "appointmentdate", "aptdatetime", "~starttime", "start", "~startdate", "when", "appttime", "datetime", "scheduled", "~appointment"},
	"apptshape": {"length", "duration", "~duration", "mins", "minutes", "op", "operatory", "chair", "pattern", "confirmed", "~apptstatus", "aptstatus", "~reason", "appointmenttype"},
	"stage":     {"stage", "stagename", "pipelinestage", "casestage"},
	"plan":      {"~plan", "~case", "~treatmentplan", "~presented", "~accepted"},
	"body":      {"note", "notes", "body", "text", "message", "content", "comment", "comments"},
	"comm":      {"commtype", "mode", "channel", "direction", "sentorreceived", "commdatetime", "subject"},
	"carrier":   {"carriername", "payerid", "electid", "companyname", "carrier", "insurancecompany", "payer", "~payer", "groupname"},
	"coverage":  {"~subscriber", "memberid", "groupnumber", "groupno", "policynumber", "~policy", "relationship"},
	"staff":     {"npi", "specialty", "~license", "credential", "title", "providerid", "provid", "hygienist", "~provider", "color", "abbr"},
	"office":    {"officename", "clinicname", "practicename", "locationname", "officeid", "clinicid", "practiceid", "timezone", "fax", "website"},
}

// signal reports whether a column name carries a meaning.
func signal(meaning, n string) bool {
	for _, s := range columnSignals[meaning] {
		if p, ok := strings.CutPrefix(s, "~"); ok {
			if strings.Contains(n, p) {
				return true
			}
		} else if n == s {
			return true
		}
	}
	return false
}

// classifyByColumns recognises an entity from its columns and values. It
// returns the best entity kind with a confidence and the evidence, or a
// confidence of 0 when the columns look like no entity this tool moves.
func classifyByColumns(e *EntityInventory, sniffs []sniff) (entityKind, float64, string) {
	has := map[string][]string{} // meaning → columns that carry it
	add := func(m, col string) {
		if !slices.Contains(has[m], col) {
			has[m] = append(has[m], col)
		}
	}
	patientRef := false
	for i, f := range e.Fields {
		n := normName(f.Name)
		sn := sniffs[i]
		for m := range columnSignals {
			if signal(m, n) {
				add(m, f.Name)
			}
		}
		switch {
		case sn.has("email") >= 0.8:
			add("email", f.Name)
		case sn.has("phone") >= 0.8 && sn.has("zip") == 0:
			add("phone", f.Name)
		case birthDates(sn) && !containsAny(n, notBirthWords):
			add("dob", f.Name)
		case sn.kind == "cdt":
			add("cdt", f.Name)
		case sn.kind == "largetext":
			add("body", f.Name)
		}
		if slices.Contains(refNames[TargetContact], colName(f.Name)) && sn.has("idlike") >= 0.8 && (!sn.unique || i > 0) {
			patientRef = true
		}
	}
	// A "code" column is a procedure code only when its values are CDT codes.
	if len(has["cdt"]) > 0 && !slices.ContainsFunc(sniffs, func(s sniff) bool { return s.kind == "cdt" }) {
		delete(has, "cdt")
	}
	count := func(ms ...string) int {
		n := 0
		for _, m := range ms {
			if len(has[m]) > 0 {
				n++
			}
		}
		return n
	}
	person := len(has["first"]) > 0 && len(has["last"]) > 0 || len(has["fullname"]) > 0
	type cand struct {
		kind  entityKind
		score float64
		why   []string
	}
	kindOf := func(t TargetKind, key string) entityKind {
		for _, k := range entityKinds {
			if k.kind == t && k.key == key {
				return k
			}
		}
		return entityKinds[0]
	}
	var cands []cand
	ev := func(ms ...string) []string {
		var out []string
		for _, m := range ms {
			if len(has[m]) > 0 {
				out = append(out, m)
			}
		}
		return out
	}
	if c := count("dob", "phone", "email", "address"); person && c >= 2 && !patientRef && len(has["staff"]) < 2 {
		cands = append(cands, cand{kindOf(TargetContact, ""), 0.5 + 0.1*float64(c), append([]string{"names"}, ev("dob", "phone", "email", "address")...)})
	}
	if person && len(has["staff"]) >= 2 && len(has["dob"]) == 0 && !patientRef {
		cands = append(cands, cand{kindOf(TargetUser, ""), 0.7, append([]string{"names"}, "provider columns (NPI, specialty, licence, title)")})
	}
	if len(has["office"]) >= 1 && len(has["address"]) > 0 && len(has["phone"]) > 0 && !patientRef && len(has["dob"]) == 0 && len(has["first"]) == 0 {
		cands = append(cands, cand{kindOf(TargetBusiness, ""), 0.7, []string{"an office name", "address", "phone"}})
	}
	if patientRef && len(has["cdt"]) > 0 && count("tooth", "fee") > 0 {
		cands = append(cands, cand{kindOf(TargetCustomObject, "treatment"), 0.8, append([]string{"a patient reference", "CDT procedure codes"}, ev("tooth", "fee")...)})
	}
	if patientRef && len(has["apptwhen"]) > 0 && len(has["apptshape"]) > 0 && len(has["cdt"]) == 0 {
		cands = append(cands, cand{kindOf(TargetCustomObject, "appointment"), 0.75, []string{"a patient reference", "appointment times", "length, chair or status"}})
	}
	if patientRef && len(has["stage"]) > 0 && len(has["fee"]) > 0 {
		cands = append(cands, cand{kindOf(TargetOpportunity, ""), 0.75, []string{"a patient reference", "a stage", "an amount"}})
	}
	if patientRef && len(has["plan"]) > 0 && len(has["fee"]) > 0 && len(has["cdt"]) == 0 {
		cands = append(cands, cand{kindOf(TargetOpportunity, ""), 0.65, []string{"a patient reference", "plan or case columns", "an amount"}})
	}
	if patientRef && len(has["body"]) > 0 && len(has["comm"]) > 0 {
		cands = append(cands, cand{kindOf(TargetNote, ""), 0.75, []string{"a patient reference", "note text", "channel, direction or time"}})
	}
	if !patientRef && len(has["carrier"]) >= 2 && len(has["dob"]) == 0 {
		cands = append(cands, cand{kindOf(TargetCustomObject, "insurance_carrier"), 0.7, []string{"carrier name and payer id columns"}})
	}
	if patientRef && len(has["coverage"]) >= 1 && len(has["carrier"]) >= 1 {
		cands = append(cands, cand{kindOf(TargetCustomObject, "insurance"), 0.7, []string{"a patient reference", "subscriber or policy columns", "a carrier"}})
	}
	if len(cands) == 0 {
		return entityKind{}, 0, ""
	}
	slices.SortStableFunc(cands, func(a, b cand) int {
		switch {
		case a.score > b.score:
			return -1
		case a.score < b.score:
			return 1
		}
		return 0
	})
	best := cands[0]
	conf := min(best.score, 0.9)
	if len(cands) > 1 && cands[1].score >= best.score-0.05 && cands[1].kind.kind != best.kind.kind {
		conf = min(conf, 0.55) // two readings fit about as well
	}
	return best.kind, round2(conf), fmt.Sprintf("its columns hold %s, as %s do", strings.Join(best.why, ", "), kindNoun(best.kind))
}

// recogniseEntity weighs the file name and the columns. It returns
// recognised false when neither places the file.
func recogniseEntity(e *EntityInventory, sniffs []sniff) (k entityKind, conf float64, why string, recognised bool) {
	nk, nconf, nwhy := classify(e.Name)
	named := nconf >= 0.5 // classify's 0.4 is "matches nothing known"
	ck, cconf, cwhy := classifyByColumns(e, sniffs)
	switch {
	case !named && cconf == 0:
		return nk, 0, fmt.Sprintf("neither the name %q nor its columns match an entity this tool moves", e.Name), false
	case !named:
		return ck, cconf, cwhy + fmt.Sprintf(" (the name %q says nothing)", e.Name), true
	case cconf == 0 && strings.Contains(nwhy, " resembles "):
		// "payments" is two letters from "patients": a resemblance alone,
		// with columns that say nothing, places nothing.
		return nk, 0, fmt.Sprintf("the name %q only resembles a known name and its columns do not confirm it", e.Name), false
	case cconf == 0 && nconf < 0.95 && linksPatients(nk) && !hasPatientRef(e, sniffs):
		// "Fee Schedule" contains "schedule", but a schedule of
		// appointments names the patient of each; this file does not.
		return nk, 0, fmt.Sprintf("the name %q suggests %s, but no column refers to a patient", e.Name, kindNoun(nk)), false
	case cconf == 0 || sameKind(nk, ck):
		if cconf > 0 {
			return nk, round2(min(0.98, max(nconf, cconf)+0.03)), nwhy + "; " + cwhy, true
		}
		return nk, nconf, nwhy, true
	case nconf < 0.95 && cconf >= 0.7:
		// A name that only contains or resembles a known word loses to
		// columns that clearly say otherwise ("insurance_company" holding
		// carriers).
		return ck, round2(cconf - 0.1), cwhy + fmt.Sprintf("; the name suggested %s", kindNoun(nk)), true
	}
	return nk, round2(min(nconf, 0.6)), nwhy + fmt.Sprintf("; but its columns look like %s: check", kindNoun(ck)), true
}

func sameKind(a, b entityKind) bool { return a.kind == b.kind && a.key == b.key }

// colName normalises a column name for id and reference matching: '#'
// reads as "num" ("Chart #" is a chart number).
func colName(s string) string { return normName(strings.ReplaceAll(s, "#", "num")) }

// linksPatients reports whether records of kind belong to a patient.
func linksPatients(k entityKind) bool {
	return k.kind == TargetCustomObject && k.key != "insurance_carrier" || k.kind == TargetOpportunity || k.kind == TargetNote || k.kind == TargetContactField
}

func hasPatientRef(e *EntityInventory, sniffs []sniff) bool {
	for i, f := range e.Fields {
		if slices.Contains(refNames[TargetContact], colName(f.Name)) && (sniffs[i].n == 0 || sniffs[i].has("idlike") >= 0.8) {
			return true
		}
	}
	return false
}
