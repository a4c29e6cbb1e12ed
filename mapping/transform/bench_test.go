package transform

import (
	"strings"
	"testing"
	"time"
)

// benchInputs cycles through a realistic mix: mostly clean values, some messy.
func benchLoop(b *testing.B, inputs []string, f func(string)) {
	b.Helper()
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; b.Loop(); i++ {
		f(inputs[i%len(inputs)])
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "values/s")
}

func BenchmarkCollapse(b *testing.B) {
	b.Run("clean", func(b *testing.B) { benchLoop(b, []string{"John A. Smith"}, func(s string) { _ = Collapse(s) }) })
	b.Run("messy", func(b *testing.B) {
		benchLoop(b, []string{"  John \t A.  Smith\u00a0"}, func(s string) { _ = Collapse(s) })
	})
}

func BenchmarkTitleName(b *testing.B) {
	benchLoop(b, []string{"JOHN O'BRIEN", "mary-jane mcdonald", "DeAndre"}, func(s string) { _ = TitleName(s) })
}

func BenchmarkDate(b *testing.B) {
	b.Run("canonical", func(b *testing.B) {
		benchLoop(b, []string{"1985-03-04"}, func(s string) { _, _ = Date(s, DateOptions{}) })
	})
	b.Run("mixed", func(b *testing.B) {
		in := []string{"1985-03-04 00:00:00", "3/4/1985", "0001-01-01", "20190304", "03/04/2019 3:04 PM"}
		benchLoop(b, in, func(s string) { _, _ = Date(s, DateOptions{}) })
	})
	b.Run("named-month", func(b *testing.B) {
		benchLoop(b, []string{"March 4, 1985"}, func(s string) { _, _ = Date(s, DateOptions{}) })
	})
}

func BenchmarkTimestamp(b *testing.B) {
	ny, _ := time.LoadLocation("America/New_York")
	benchLoop(b, []string{"2019-03-04 15:04:05", "2019-03-04T15:04:05Z"}, func(s string) {
		_, _ = Timestamp(s, DateOptions{Location: ny})
	})
}

func BenchmarkParsePhone(b *testing.B) {
	b.Run("fast-path", func(b *testing.B) {
		in := []string{"(536)624-5871", "536.624.5871", "5552523366", "+1 536 624 5871"}
		benchLoop(b, in, func(s string) { _, _ = ParsePhone(s, PhoneOptions{}) })
	})
	b.Run("libphonenumber", func(b *testing.B) {
		in := []string{"536.624.5871 x12", "+44 20 7946 0958", "624-5871"}
		benchLoop(b, in, func(s string) { _, _ = ParsePhone(s, PhoneOptions{}) })
	})
	b.Run("strict", func(b *testing.B) {
		benchLoop(b, []string{"(212) 456-7890"}, func(s string) { _, _ = ParsePhone(s, PhoneOptions{Strict: true}) })
	})
}

func BenchmarkEmail(b *testing.B) {
	b.Run("canonical", func(b *testing.B) {
		benchLoop(b, []string{"jane.doe@example.com"}, func(s string) { _, _ = Email(s) })
	})
	b.Run("normalise", func(b *testing.B) {
		benchLoop(b, []string{" Jane.Doe@Example.COM"}, func(s string) { _, _ = Email(s) })
	})
}

func BenchmarkParseCents(b *testing.B) {
	benchLoop(b, []string{"95.00", "$1,234.56", "(12.00)"}, func(s string) { _, _, _ = ParseCents(s) })
}

func BenchmarkFormatCents(b *testing.B) {
	b.ReportAllocs()
	for i := 0; b.Loop(); i++ {
		_ = FormatCents(int64(i))
	}
}

func BenchmarkStateCode(b *testing.B) {
	b.Run("code", func(b *testing.B) { benchLoop(b, []string{"CA", "ME"}, func(s string) { _, _ = StateCode(s) }) })
	b.Run("name", func(b *testing.B) {
		benchLoop(b, []string{"Maine", "north carolina"}, func(s string) { _, _ = StateCode(s) })
	})
}

func BenchmarkCountryCode(b *testing.B) {
	b.Run("code", func(b *testing.B) { benchLoop(b, []string{"US"}, func(s string) { _, _ = CountryCode(s) }) })
	b.Run("name", func(b *testing.B) {
		benchLoop(b, []string{"USA", "United States"}, func(s string) { _, _ = CountryCode(s) })
	})
}

func BenchmarkPickList(b *testing.B) {
	p, _ := NewPickList(statusEntries, PickListOptions{Unknown: UnknownPassThrough})
	b.Run("exact", func(b *testing.B) {
		benchLoop(b, []string{"Patient", "Inactive"}, func(s string) { _, _, _ = p.Map(s) })
	})
	b.Run("folded", func(b *testing.B) { benchLoop(b, []string{"PATIENT "}, func(s string) { _, _, _ = p.Map(s) }) })
}

func BenchmarkCDTCode(b *testing.B) {
	benchLoop(b, []string{"D1110", "d 0120", "1110", "T1234"}, func(s string) { _, _ = CDTCode(s) })
}

func BenchmarkSplitName(b *testing.B) {
	benchLoop(b, []string{"Smith, John A.", "Dr. Jane van Dyke Jr.", "John Smith"}, func(s string) { _, _ = SplitName(s) })
}

func BenchmarkParseTreatmentNotes(b *testing.B) {
	note := strings.Repeat("2019-03-04 D1110 prophy adult $95\n03/04/2019 - D2392 - post comp #30 MOD - $210.50\nPt tolerated well.\n", 4)
	b.ReportAllocs()
	for b.Loop() {
		_ = ParseTreatmentNotes(note, NotesOptions{})
	}
	b.ReportMetric(float64(b.N*8)/b.Elapsed().Seconds(), "rows/s")
}

func BenchmarkJSONBlob(b *testing.B) {
	entries := commLog(200, "Patient confirmed the appointment by text message, thanks")
	b.Run("fits", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			_, _, _ = JSONBlob(entries[:50], BlobOptions{MaxBytes: 64000})
		}
	})
	b.Run("truncates", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			_, _, _ = JSONBlob(entries, BlobOptions{MaxBytes: 4000, KeepNewest: true})
		}
	})
}

// BenchmarkPatientRecord runs the transforms a patient goes through on its
// way to a HighLevel contact: names, birth date, three phones, email, state,
// country, status pick-list, created/modified timestamps. Inputs mix clean
// and messy values as pbntest generates them.
func BenchmarkPatientRecord(b *testing.B) {
	type patient struct {
		first, last, dob, home, work, cell, email, state, country, status, created, modified string
	}
	rows := []patient{
		{"John", "Smith", "1985-03-04", "(536)624-5871", "", "536.624.5871", "john.smith@example.com", "CA", "US", "Patient", "2019-03-04 15:04:05", "2024-01-02 10:00:00"},
		{"MARY", "O'BRIEN", "0001-01-01", "5552523366", "536.624.5871 x12", "", " Mary@Example.COM", "Maine", "USA", "Inactive", "2018-07-01 09:30:00", "2023-12-31 23:59:59"},
		{"jose", "de la cruz", "3/4/1990", "+1 536 624 5871", "", "1-536-624-5871", "", "tx", "United States", "Prospective", "2020-02-29 12:00:00", "0001-01-01 00:00:00"},
	}
	ny, _ := time.LoadLocation("America/New_York")
	dopts := DateOptions{Location: ny}
	status, _ := NewPickList(statusEntries, PickListOptions{Unknown: UnknownPassThrough})
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; b.Loop(); i++ {
		r := &rows[i%len(rows)]
		_ = TitleName(r.first)
		_ = TitleName(r.last)
		_, _ = Date(r.dob, dopts)
		_, _ = ParsePhone(r.home, PhoneOptions{})
		_, _ = ParsePhone(r.work, PhoneOptions{})
		_, _ = ParsePhone(r.cell, PhoneOptions{})
		_, _ = Email(r.email)
		_, _ = StateCode(r.state)
		_, _ = CountryCode(r.country)
		_, _, _ = status.Map(r.status)
		_, _ = Timestamp(r.created, dopts)
		_, _ = Timestamp(r.modified, dopts)
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "records/s")
}
