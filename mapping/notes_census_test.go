package mapping

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/pbnhl/pbnhl/practicebynumbers/pbntest"
)

// TestNotesLineCensus: every non-blank line of every patient's notes in
// a pbntest practice arrives somewhere — a treatment row (its code is in
// the line), a date heading that dates the rows below it, or the
// remainder that treatment_remainder gives a contact note. Nothing is
// left out.
func TestNotesLineCensus(t *testing.T) {
	srv, err := pbntest.NewServer(pbntest.Options{Seed: 42, Patients: 300})
	require.NoError(t, err)
	t.Cleanup(srv.Close)
	reg := DefaultRegistry()
	rest, err := reg.Compile(Step{Name: "treatment_remainder"})
	require.NoError(t, err)
	date, err := reg.Compile(Step{Name: "date"})
	require.NoError(t, err)
	parse, ok := reg.Parser("treatment_notes")
	require.True(t, ok)
	var lines, asRows, asHeadings, asRemainder int
	for p := range srv.Practice().Patients() {
		if strings.TrimSpace(p.Notes) == "" {
			continue
		}
		rows := parse(p.Notes)
		remainder, err := rest(p.Notes)
		require.NoError(t, err)
		assert.Equal(t, strings.TrimSpace(rows.Remainder), strings.TrimSpace(remainder), "the remainder is what the row parser leaves")
		kept := map[string]int{}
		for l := range strings.Lines(remainder) {
			kept[strings.TrimSpace(l)]++
		}
		for l := range strings.Lines(p.Notes) {
			l = strings.TrimSpace(l)
			if l == "" {
				continue
			}
			lines++
			switch {
			case kept[l] > 0:
				kept[l]--
				asRemainder++
			case lineHasRowCode(l, rows.Rows):
				asRows++
			case dateOnly(date, l):
				asHeadings++
			default:
				t.Errorf("patient %s: a notes line arrives nowhere", p.ID)
			}
		}
	}
	require.Positive(t, asRows, "the practice has treatment lines")
	require.Positive(t, asRemainder, "the practice has other lines")
	assert.Equal(t, lines, asRows+asHeadings+asRemainder)
	t.Logf("%d note lines: %d treatment rows, %d date headings, %d to the contact note", lines, asRows, asHeadings, asRemainder)
}

// lineHasRowCode reports whether the line holds the code of a parsed row
// (its CDT code, with or without the D, as written).
func lineHasRowCode(line string, rows []map[string]string) bool {
	up := strings.ToUpper(strings.ReplaceAll(line, " ", ""))
	for _, r := range rows {
		c := strings.ToUpper(r["code"])
		if c != "" && (strings.Contains(up, c) || strings.Contains(up, strings.TrimPrefix(c, "D"))) {
			return true
		}
	}
	return false
}

// dateOnly reports whether the line is only a date (a heading dating
// the rows below it), as the map's date transform reads one.
func dateOnly(date Func, line string) bool {
	_, err := date(line)
	return err == nil
}
