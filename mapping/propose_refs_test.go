package mapping

import "testing"

// refRank reads the qualified and numbered references practice systems
// write (Open Dental's PriProv/SecProv, "Provider 2") and nothing that only
// starts like one.
func TestRefRankQualified(t *testing.T) {
	for col, want := range map[string]bool{
		"PriProv": true, "SecProv": true, "Primary Provider": true, "Provider 2": true, "ProvNum": true,
		"Main Office": false, // an office is a business, not a user
		"Pricing":     false, "Previous": false, "Secret": false, "Primary": false,
	} {
		if got := refRank(TargetUser, col) >= 0; got != want {
			t.Errorf("refRank(user, %q) >= 0 is %v, want %v", col, got, want)
		}
	}
	if refRank(TargetBusiness, "Main Office") < 0 {
		t.Error(`"Main Office" is a reference to a business`)
	}
}

// A rule is never more confident than the placement of its file.
func TestCapToEntity(t *testing.T) {
	o := Object{Fields: []Field{{From: "a", To: "name", Confidence: 0.92}, {From: "b", To: "email", Confidence: 0.4}}}
	cols := []ColumnDecision{{Column: "a", Confidence: 0.92}}
	capToEntity(&o, cols, 0.7)
	if o.Fields[0].Confidence != 0.7 || cols[0].Confidence != 0.7 || o.Fields[1].Confidence != 0.4 {
		t.Errorf("capped to 0.7: fields %v, columns %v", o.Fields, cols)
	}
	o.Fields[0].Confidence = 0.92
	capToEntity(&o, nil, 0.85)
	if o.Fields[0].Confidence != 0.92 {
		t.Error("a confidently placed file leaves its rules alone")
	}
}
