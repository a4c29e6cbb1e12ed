package transform

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func day(y, m, d int) time.Time { return time.Date(y, time.Month(m), d, 0, 0, 0, 0, time.UTC) }

func TestParseTreatmentNotesLines(t *testing.T) {
	tests := []struct {
		name string
		in   string
		want []TreatmentRow
	}{
		{"iso with fee", "2019-03-04 D1110 prophy adult $95", []TreatmentRow{
			{Line: 1, Date: day(2019, 3, 4), Code: ProcedureCode{Code: "D1110"}, Description: "prophy adult", FeeCents: 9500, HasFee: true},
		}},
		{"us date dashes and cents", "03/04/2019 - D2392 - post comp 2s #30 MOD - $210.50", []TreatmentRow{
			{Line: 1, Date: day(2019, 3, 4), Code: ProcedureCode{Code: "D2392"}, Tooth: "30", Surface: "MOD", Description: "post comp 2s", FeeCents: 21050, HasFee: true},
		}},
		{"colon, bare fee, two codes", "3/4/2019: d0120 periodic eval 45.00; D0274 bitewings four films", []TreatmentRow{
			{Line: 1, Date: day(2019, 3, 4), Code: ProcedureCode{Code: "D0120"}, Description: "periodic eval", FeeCents: 4500, HasFee: true},
			{Line: 1, Date: day(2019, 3, 4), Code: ProcedureCode{Code: "D0274"}, Description: "bitewings four films"},
		}},
		{"month name, split code, no fee", "Mar 4, 2019 D 1110 prophylaxis", []TreatmentRow{
			{Line: 1, Date: day(2019, 3, 4), Code: ProcedureCode{Code: "D1110"}, Description: "prophylaxis"},
		}},
		{"time after date, thousands", "2019-03-04 10:30 AM D2740 crown porcelain #8 $1,234.00", []TreatmentRow{
			{Line: 1, Date: time.Date(2019, 3, 4, 10, 30, 0, 0, time.UTC), Code: ProcedureCode{Code: "D2740"}, Tooth: "8", Description: "crown porcelain", FeeCents: 123400, HasFee: true},
		}},
		{"description before code", "2019-03-04 prophy (D1110) $95", []TreatmentRow{
			{Line: 1, Date: day(2019, 3, 4), Code: ProcedureCode{Code: "D1110"}, Description: "prophy", FeeCents: 9500, HasFee: true},
		}},
		{"custom code and zero fee", "2019-03-04 N4101 no-charge follow-up $0.00", []TreatmentRow{
			{Line: 1, Date: day(2019, 3, 4), Code: ProcedureCode{Code: "N4101", Custom: true}, Description: "no-charge follow-up", FeeCents: 0, HasFee: true},
		}},
		{"tooth word", "2019-03-04 D2391 comp 1s tooth 19 O $150", []TreatmentRow{
			{Line: 1, Date: day(2019, 3, 4), Code: ProcedureCode{Code: "D2391"}, Tooth: "19", Surface: "O", Description: "comp 1s", FeeCents: 15000, HasFee: true},
		}},
		{"no date", "D1110 prophy $95", []TreatmentRow{
			{Line: 1, Code: ProcedureCode{Code: "D1110"}, Description: "prophy", FeeCents: 9500, HasFee: true},
		}},
		{"fee label", "2019-03-04 D0150 comprehensive exam fee $80", []TreatmentRow{
			{Line: 1, Date: day(2019, 3, 4), Code: ProcedureCode{Code: "D0150"}, Description: "comprehensive exam", FeeCents: 8000, HasFee: true},
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := ParseTreatmentNotes(tt.in, NotesOptions{})
			assert.Equal(t, tt.want, got.Rows)
			assert.Empty(t, got.Remainder)
			assert.Empty(t, got.Problems)
		})
	}
}

func TestParseTreatmentNotesDocument(t *testing.T) {
	note := "Tx history imported 2018\r\n" +
		"\n" +
		"03/04/2019:\n" +
		"  D1110 prophy adult $95\n" +
		"  D0120 periodic eval $45\n" +
		"Pt tolerated well. Next visit 6 mo.\n" +
		"2019-09-10 Patient called to reschedule\n" +
		"09/12/2019 D1110 prophy $95\n" +
		"12/01/2019\n" +
		"2019-02-30 D2391 comp 1s #19 O $150\n" +
		"2019-10-01 D0274 bitewings $12.345\n"
	got := ParseTreatmentNotes(note, NotesOptions{})
	require.Len(t, got.Rows, 5)
	assert.Equal(t, day(2019, 3, 4), got.Rows[0].Date)
	assert.Equal(t, 4, got.Rows[0].Line)
	assert.Equal(t, day(2019, 3, 4), got.Rows[1].Date)
	assert.Equal(t, "D0120", got.Rows[1].Code.Code)
	assert.Equal(t, day(2019, 9, 12), got.Rows[2].Date)
	// Impossible date: the row is kept without a date, and reported.
	assert.True(t, got.Rows[3].Date.IsZero())
	assert.Equal(t, "19", got.Rows[3].Tooth)
	assert.Equal(t, "O", got.Rows[3].Surface)
	assert.Equal(t, int64(15000), got.Rows[3].FeeCents)
	// Malformed fee: the row is kept without a fee, and reported.
	assert.False(t, got.Rows[4].HasFee)
	assert.Equal(t, []NoteProblem{
		{Line: 10, Reason: "date: day out of range for the month"},
		{Line: 11, Reason: "fee: fraction of a cent"},
	}, got.Problems)
	// The header that dated rows is consumed; the unused one stays.
	assert.Equal(t, "Tx history imported 2018\n\n"+
		"Pt tolerated well. Next visit 6 mo.\n"+
		"2019-09-10 Patient called to reschedule\n"+
		"12/01/2019", got.Remainder)
}

func TestParseTreatmentNotesDateOptions(t *testing.T) {
	got := ParseTreatmentNotes("04/03/19 D1110 prophy £95", NotesOptions{Date: DateOptions{DayFirst: true, TwoDigitYearPivot: 50}})
	require.Len(t, got.Rows, 1)
	assert.Equal(t, day(2019, 3, 4), got.Rows[0].Date)
	assert.Equal(t, "prophy £95", got.Rows[0].Description)
}

func TestParseTreatmentNotesEmpty(t *testing.T) {
	assert.Equal(t, TreatmentNotes{}, ParseTreatmentNotes("", NotesOptions{}))
	got := ParseTreatmentNotes("just words\nno codes here", NotesOptions{})
	assert.Empty(t, got.Rows)
	assert.Equal(t, "just words\nno codes here", got.Remainder)
}
