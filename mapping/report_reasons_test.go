package mapping

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestReportInvalidReasonsByFrequency(t *testing.T) {
	var r Report
	add := func(key string, probs ...Problem) {
		p := &Payload{Object: "patients", SourceKey: key, Problems: probs}
		r.Add(p)
	}
	req := Problem{Object: "patients", Field: "lastName", Rule: RuleRequired, Reason: "required and empty", Severity: Invalid}
	bad := Problem{Object: "patients", Field: "email", Rule: RuleFormat, Reason: "not an e-mail address", Severity: Warning}
	for i := range 5 {
		add(string(rune('a'+i)), req)
	}
	add("f", bad) // a warning is not a reason for invalidity
	add("g", Problem{Object: "patients", Field: "birthDate", Rule: RuleFormat, Reason: "not a date", Severity: Invalid}, req)
	r.AddSourceError("patients", "", "", "patients.csv:9: 3 cells, header has 20")
	r.AddSourceError("patients", "12", "", "patients.csv:10; column 3 (last_name): not valid text")

	reasons := r.InvalidReasons("patients")
	require.Len(t, reasons, 3)
	assert.Equal(t, ReasonCount{Field: "lastName", Rule: RuleRequired, Count: 6, Example: "required and empty"}, reasons[0])
	assert.Equal(t, RuleSource, reasons[1].Rule)
	assert.Equal(t, 2, reasons[1].Count)
	assert.Equal(t, "birthDate", reasons[2].Field)

	tally := r.Objects()["patients"]
	assert.Equal(t, 9, tally.Records)
	assert.Equal(t, 8, tally.Invalid, "unreadable source rows are invalid records")
	assert.Equal(t, 1, tally.Valid)

	var b strings.Builder
	require.NoError(t, r.WriteReasons(&b, 2))
	assert.Equal(t, "  patients: 8 of 9 invalid\n"+
		"    6 × lastName required (required and empty)\n"+
		"    2 × source (patients.csv:9: 3 cells, header has 20)\n"+
		"    ... 1 more reasons\n", b.String())
	assert.Nil(t, r.InvalidReasons("nope"))
}
