package handover

import (
	"context"
	"errors"
	"fmt"
	"regexp"
	"strings"
	"unicode"
	"unicode/utf8"

	pbn "github.com/pbnhl/pbnhl/practicebynumbers"
)

// text is one free-text value of the pack's inputs, with the record it
// came from (for the error: never the value).
type text struct {
	what  string // "automation 3", "cohort 2", "KPI 5"
	lower string
}

var (
	emailLike = regexp.MustCompile(`[A-Za-z0-9._%+-]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,}`)
	phoneLike = regexp.MustCompile(`(?:\+?1[ .-]?)?\(?\d{3}\)?[ .-]?\d{3}[ .-]?\d{4}`)
)

func texts(d *data) []text {
	var out []text
	add := func(what string, ss ...string) {
		out = append(out, text{what: what, lower: strings.ToLower(strings.Join(ss, "\n"))})
	}
	for _, a := range d.automations {
		add(fmt.Sprintf("automation %s", a.ID), a.Name, a.Trigger, a.Steps)
	}
	for _, c := range d.cohorts {
		add(fmt.Sprintf("cohort %s", c.ID), c.Name, c.Description, c.Criteria)
	}
	for _, k := range d.kpis {
		add(fmt.Sprintf("KPI %s", k.ID), k.Name, k.Formula, k.Description)
	}
	return out
}

// checkNoPatientData refuses a pack whose definitions or templates hold an
// e-mail address, a phone number, or the full name (first or preferred
// name with the last name), e-mail or phone of one of the source's
// patients. It streams the patients once and keeps none of them.
func checkNoPatientData(ctx context.Context, src pbn.Source, d *data) error {
	ts := texts(d)
	for _, t := range ts {
		if emailLike.MatchString(t.lower) {
			return fmt.Errorf("%w: %s holds an e-mail address; remove it in PbN (templates take merge fields, not addresses)", ErrPatientData, t.what)
		}
		if phoneLike.MatchString(t.lower) {
			return fmt.Errorf("%w: %s holds a phone number; remove it in PbN (templates take merge fields, not numbers)", ErrPatientData, t.what)
		}
	}
	for p, err := range src.Patients(ctx, pbn.ListOptions{}) {
		var re *pbn.RowError
		if errors.As(err, &re) {
			// An export row the reader could not parse yields no patient
			// to compare with; preflight reports it with its reasons.
			continue
		}
		if err != nil {
			return fmt.Errorf("handover: read patients (to check the templates name none): %w", err)
		}
		last := strings.ToLower(strings.TrimSpace(p.LastName))
		if utf8.RuneCountInString(last) < 2 {
			continue
		}
		var names []string
		for _, first := range []string{p.FirstName, p.PreferredName} {
			if first = strings.ToLower(strings.TrimSpace(first)); utf8.RuneCountInString(first) >= 2 {
				names = append(names, first+" "+last)
			}
		}
		for _, t := range ts {
			for _, n := range names {
				if containsWord(t.lower, n) {
					return fmt.Errorf("%w: %s holds a patient's name; replace it with a merge field in PbN and export again", ErrPatientData, t.what)
				}
			}
		}
	}
	return nil
}

// containsWord reports whether s holds w with no letter or digit right
// before or after it ("ann lee" is not in "joann leeds").
func containsWord(s, w string) bool {
	for i := 0; ; {
		j := strings.Index(s[i:], w)
		if j < 0 {
			return false
		}
		j += i
		before, _ := utf8.DecodeLastRuneInString(s[:j])
		after, _ := utf8.DecodeRuneInString(s[j+len(w):])
		if !isWordRune(before) && !isWordRune(after) {
			return true
		}
		i = j + 1
	}
}

func isWordRune(r rune) bool {
	return r != utf8.RuneError && (unicode.IsLetter(r) || unicode.IsDigit(r))
}
