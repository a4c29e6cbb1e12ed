package mapping

import (
	"slices"
	"testing"
)

// TestKindTable checks the kind table's shape: each kind once, every
// kind that creates records says where its external id lives, and the
// per-kind lookups read from it (a kind missing from the table would
// take no fields and no links, and fail every map naming it).
func TestKindTable(t *testing.T) {
	seen := map[TargetKind]bool{}
	for _, s := range kinds {
		if seen[s.kind] {
			t.Errorf("kind %s is in the table twice", s.kind)
		}
		seen[s.kind] = true
		if s.links == nil {
			t.Errorf("kind %s lists no lookup targets (use an empty list for none)", s.kind)
		}
		if s.creates && s.noExternalID == "" && s.schemaModel(&Object{Key: "custom_objects.x"}) == "" {
			t.Errorf("kind %s creates records but has no model for their external id", s.kind)
		}
		if s.record != "" && s.recordIsKey {
			t.Errorf("kind %s has both a record type and the key as record type", s.kind)
		}
	}
	if len(targetKinds) != len(kinds) {
		t.Fatalf("targetKinds has %d kinds, the table %d", len(targetKinds), len(kinds))
	}
	if got := specOf("no_such_kind"); got.creates || got.customFields() || len(got.links) != 0 || got.record != "" {
		t.Errorf("an unknown kind's spec is not empty: %+v", got)
	}
	if got := (Object{Target: TargetMessage}).RecordType(); got != "conversation_message" {
		t.Errorf("message record type = %q", got)
	}
	if got := (Object{Target: TargetMedia}).RecordType(); got != "media" {
		t.Errorf("media record type = %q", got)
	}
}

// TestFoldedFieldAndCalendars: the two questions other packages (handover's
// cutover sheet, the demo) asked by comparing target names are answered by
// the kind table.
func TestFoldedFieldAndCalendars(t *testing.T) {
	for _, k := range targetKinds {
		o := Object{Name: "x", Target: k, Key: "pbn_log"}
		wantField := ""
		if k == TargetContactField {
			wantField = "pbn_log"
		}
		if got := o.FoldedField(); got != wantField {
			t.Errorf("%s: FoldedField = %q, want %q", k, got, wantField)
		}
		if got, want := o.UsesCalendars(), k == TargetEvent; got != want {
			t.Errorf("%s: UsesCalendars = %v, want %v", k, got, want)
		}
	}
}

// TestKindCustomRules pins what suggesters read of the table (TypedRules,
// CustomFieldModel) for every kind: mapping/llm's question asked exactly
// this of the kind in a switch of its own before.
func TestKindCustomRules(t *testing.T) {
	typed := map[TargetKind]bool{TargetContact: true, TargetOpportunity: true, TargetCustomObject: true}
	model := map[TargetKind]string{TargetContact: "contact", TargetOpportunity: "opportunity"}
	for _, k := range append(slices.Clone(targetKinds), "no_such_kind") {
		if got := k.TypedRules(); got != typed[k] {
			t.Errorf("%s: TypedRules = %v, want %v", k, got, typed[k])
		}
		if got := k.CustomFieldModel(); got != model[k] {
			t.Errorf("%s: CustomFieldModel = %q, want %q", k, got, model[k])
		}
	}
}
