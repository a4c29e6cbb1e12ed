package transform

import (
	"bufio"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/pbnhl/pbnhl/internal/golden"
)

// TestGoldenCorpus runs each transform over a corpus of real-world messy
// inputs (testdata/corpus) and compares a readable record of every result
// with testdata/golden. A behaviour change shows up as a reviewable diff;
// accept it with: go test ./mapping/transform -run TestGoldenCorpus -update
func TestGoldenCorpus(t *testing.T) {
	chicago, err := time.LoadLocation("America/Chicago")
	require.NoError(t, err)
	dopts := DateOptions{Location: chicago}
	perLine := map[string]func(string) string{
		"dates": func(s string) string {
			d, err := Date(s, dopts)
			if err != nil {
				return errText(err)
			}
			ts, _ := Timestamp(s, dopts)
			return fmt.Sprintf("date=%q timestamp=%q", d, ts)
		},
		"phones": func(s string) string {
			p, err := ParsePhone(s, PhoneOptions{})
			if err != nil {
				return errText(err)
			}
			return fmt.Sprintf("e164=%q ext=%q", p.E164, p.Extension)
		},
		"emails": func(s string) string {
			e, err := Email(s)
			if err != nil {
				return errText(err)
			}
			return fmt.Sprintf("%q placeholder=%v", e, IsPlaceholderEmail(e))
		},
		"names": func(s string) string {
			n, err := SplitName(s)
			if err != nil {
				return errText(err)
			}
			return fmt.Sprintf("%+v title=%q", n, TitleName(s))
		},
		"money": func(s string) string {
			c, ok, err := ParseCents(s)
			if err != nil {
				return errText(err)
			}
			return fmt.Sprintf("cents=%d present=%v decimal=%q", c, ok, FormatCents(c))
		},
		"places": func(s string) string {
			st, serr := StateCode(s)
			co, cerr := CountryCode(s)
			return fmt.Sprintf("state=%s country=%s", orErr(st, serr), orErr(co, cerr))
		},
		"cdt": func(s string) string {
			c, err := CDTCode(s)
			if err != nil {
				return errText(err)
			}
			return fmt.Sprintf("%+v", c)
		},
	}
	for name, f := range perLine {
		t.Run(name, func(t *testing.T) {
			var b strings.Builder
			for _, line := range readCorpus(t, name) {
				fmt.Fprintf(&b, "%q\n\t→ %s\n", line, f(line))
			}
			golden.Assert(t, filepath.Join("testdata", "golden", name+".golden"), []byte(b.String()))
		})
	}
	t.Run("notes", func(t *testing.T) {
		note := strings.Join(readCorpus(t, "notes"), "\n")
		res := ParseTreatmentNotes(note, NotesOptions{})
		var b strings.Builder
		for _, r := range res.Rows {
			fee := "none"
			if r.HasFee {
				fee = FormatCents(r.FeeCents)
			}
			fmt.Fprintf(&b, "line %2d  %-10s %-6s custom=%-5v tooth=%-2s surface=%-3s fee=%-8s %q\n",
				r.Line, FormatDate(r.Date), r.Code.Code, r.Code.Custom, r.Tooth, r.Surface, fee, r.Description)
		}
		for _, p := range res.Problems {
			fmt.Fprintf(&b, "problem line %d: %s\n", p.Line, p.Reason)
		}
		fmt.Fprintf(&b, "remainder:\n%s\n", res.Remainder)
		golden.Assert(t, filepath.Join("testdata", "golden", "notes.golden"), []byte(b.String()))
	})
}

func errText(err error) string { return "error: " + err.Error() }

func orErr(v string, err error) string {
	if err != nil {
		return "(" + err.Error() + ")"
	}
	return v
}

func readCorpus(t *testing.T, name string) []string {
	t.Helper()
	f, err := os.Open(filepath.Join("testdata", "corpus", name+".txt"))
	require.NoError(t, err)
	defer f.Close()
	var lines []string
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		lines = append(lines, sc.Text())
	}
	require.NoError(t, sc.Err())
	return lines
}
