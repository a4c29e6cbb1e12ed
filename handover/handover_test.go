package handover_test

import (
	"context"
	"errors"
	"fmt"
	"iter"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/pbnhl/pbnhl/handover"
	"github.com/pbnhl/pbnhl/highlevel"
	"github.com/pbnhl/pbnhl/highlevel/hltest"
	"github.com/pbnhl/pbnhl/internal/golden"
	"github.com/pbnhl/pbnhl/mapping"
	pbn "github.com/pbnhl/pbnhl/practicebynumbers"
	"github.com/pbnhl/pbnhl/practicebynumbers/pbntest"
)

// source serves a small pbntest practice through the PbN client, as a
// migration reads it.
func source(t *testing.T, patients int) pbn.Source {
	t.Helper()
	ps, err := pbntest.NewServer(pbntest.Options{Seed: 7, Patients: patients})
	require.NoError(t, err)
	t.Cleanup(ps.Close)
	src, err := pbn.NewClient(pbn.Options{BaseURL: ps.URL, Token: ps.Token(), RateLimit: -1})
	require.NoError(t, err)
	return src
}

func defaultMap(t *testing.T, src pbn.Source) *mapping.Map {
	t.Helper()
	inv, err := src.Inventory(context.Background())
	require.NoError(t, err)
	m, err := mapping.Default(inv.CustomProperties)
	require.NoError(t, err)
	return m
}

// goldenMap is the part of a map the pack reads, fixed here so that the
// golden files move with the pack's code, not with edits of the default
// map (TestMergeFields reads the default map itself).
func goldenMap() *mapping.Map {
	return &mapping.Map{Version: 1, Name: "golden", Objects: []mapping.Object{
		{Name: "patients", Source: "patients", Target: mapping.TargetContact, Fields: []mapping.Field{
			{From: "firstName", To: "firstName"}, {From: "lastName", To: "lastName"}, {From: "email", To: "email"},
			{From: "mobilePhone", To: "phone"}, {From: "birthDate", To: "dateOfBirth"},
			{From: "preferredName", To: "pbn_preferred_name", Type: mapping.DataType("TEXT")},
			{From: "firstVisit", To: "pbn_first_visit", Type: mapping.DataType("DATE")},
		}, Skip: []mapping.Skip{{From: "ssn", Reason: "national id", Sensitive: true}, {From: "notes", Reason: "free text kept in PbN"}}},
		{Name: "treatment_plans", Source: "treatment_plans", Target: mapping.TargetOpportunity, Fields: []mapping.Field{
			{From: "amount", To: "monetaryValue"}, {From: "status", To: "status"},
			{From: "acceptedAmount", To: "pbn_accepted_amount", Type: mapping.DataType("MONETORY")},
		}},
		{Name: "communication_log", Source: "communications", Target: mapping.TargetContactField, Key: "pbn_communication_log"},
		{Name: "appointments", Source: "appointments", Target: mapping.TargetEvent},
	}}
}

// TestPackGolden pins every file of a pack written from a pbntest practice
// and a fixed map (no ledger, no HighLevel client), and proves that a
// second write gives the same bytes.
func TestPackGolden(t *testing.T) {
	ctx := context.Background()
	src := source(t, 60)
	in := handover.Inputs{Source: src, Map: goldenMap(), Practice: "Seed 7 Dental"}
	dir := t.TempDir()
	p, err := handover.Write(ctx, dir, in)
	require.NoError(t, err)
	require.Equal(t, handover.Files, p.Files)
	again := t.TempDir()
	_, err = handover.Write(ctx, again, in)
	require.NoError(t, err)
	for _, name := range handover.Files {
		got, err := os.ReadFile(filepath.Join(dir, name))
		require.NoError(t, err)
		second, err := os.ReadFile(filepath.Join(again, name))
		require.NoError(t, err)
		require.Equal(t, string(got), string(second), "%s is not deterministic", name)
		fi, err := os.Stat(filepath.Join(dir, name))
		require.NoError(t, err)
		require.Equal(t, os.FileMode(0o644), fi.Mode().Perm(), name)
		golden.Assert(t, filepath.Join("testdata", "pack", name), got)
	}
	// What the pack says about the practice, checked beyond the bytes.
	byKey := map[string]handover.KPI{}
	for _, k := range p.KPIs {
		byKey[k.Key] = k
	}
	require.Equal(t, handover.NotComputable, byKey["production_per_hour"].Rebuild)
	require.Equal(t, "pbn_accepted_amount", byKey["case_acceptance"].HighLevelField)
	require.Equal(t, "pbn_first_visit", byKey["new_patients_seen"].HighLevelField)
	require.Equal(t, "Recall 6 months", p.Automations[0].Name, "recall leads the checklist")
	require.Equal(t, "Appointment reminder 48h", p.Automations[1].Name, "reminders follow")
	require.False(t, p.Automations[len(p.Automations)-1].Active, "inactive flows come last")
	for _, c := range p.Cohorts {
		require.Equal(t, "not checked: the map applies no cohort tag", c.Checked)
	}
}

// TestMergeFields: PbN merge fields become HighLevel custom values through
// the map (a custom field key where the map made one), and the ones with
// no equivalent are left as written and flagged.
func TestMergeFields(t *testing.T) {
	ctx := context.Background()
	base := source(t, 20)
	src := &planted{Source: base, extra: pbn.Automation{ID: "900", Name: "Treatment reminder", Kind: pbn.AutomationTemplate,
		Channel: pbn.ChannelSMS, Active: true, Trigger: "treatment_plan.presented",
		Steps: `send SMS "Hi {{first_name}} ({preferred_name}), {office} holds your plan; balance {{balance}}. Chart {{chart_number}}"`}}
	p, err := handover.Write(ctx, t.TempDir(), handover.Inputs{Source: src, Map: defaultMap(t, base)})
	require.NoError(t, err)
	var got *handover.Automation
	for i := range p.Automations {
		if p.Automations[i].ID == "900" {
			got = &p.Automations[i]
		}
	}
	require.NotNil(t, got)
	require.Len(t, got.Templates, 1)
	require.Equal(t, "Hi {{contact.first_name}} ({{contact.pbn_preferred_name}}), {{location.name}} holds your plan; balance {{balance}}. Chart {{contact.pbn_chart_number}}",
		got.Templates[0].HighLevel)
	require.Equal(t, []string{"{{balance}}"}, got.Templates[0].Untranslatable)
	require.Equal(t, "reminder", strings.ToLower(strings.Fields(got.Name)[1]), "a reminder ranks with the reminders")
	require.Equal(t, 3, got.Order, "after the recall and the other reminder (id order)")

	// Without a map only the standard contact values are known.
	p, err = handover.Write(ctx, t.TempDir(), handover.Inputs{Source: src})
	require.NoError(t, err)
	for _, a := range p.Automations {
		if a.ID == "900" {
			require.Equal(t, []string{"{preferred_name}", "{{balance}}", "{{chart_number}}"}, a.Templates[0].Untranslatable)
		}
	}
}

// planted is a source with one more automation.
type planted struct {
	pbn.Source
	extra pbn.Automation
}

func (p *planted) Automations(ctx context.Context, opts pbn.ListOptions) iter.Seq2[pbn.Automation, error] {
	return func(yield func(pbn.Automation, error) bool) {
		for a, err := range p.Source.Automations(ctx, opts) {
			if !yield(a, err) || err != nil {
				return
			}
		}
		yield(p.extra, nil)
	}
}

// TestNoPatientData plants a real patient's name (and, separately, an
// e-mail address and a phone number) in a template's text: the pack is
// refused with ErrPatientData, the error names the automation but not the
// value, and no file is written.
func TestNoPatientData(t *testing.T) {
	ctx := context.Background()
	base := source(t, 40)
	var name string
	for p, err := range base.Patients(ctx, pbn.ListOptions{}) {
		require.NoError(t, err)
		if len(p.FirstName) > 1 && len(p.LastName) > 1 {
			name = p.FirstName + " " + p.LastName
			break
		}
	}
	require.NotEmpty(t, name)
	for _, c := range []struct{ planted, why string }{
		{name, "a patient's name"},
		{strings.ToUpper(name), "a patient's name"},
		{"jo.doe@example.org", "e-mail"},
		{"(555) 010-4477", "phone"},
	} {
		t.Run(c.why, func(t *testing.T) {
			src := &planted{Source: base, extra: pbn.Automation{ID: "901", Name: "Birthday", Kind: pbn.AutomationTemplate, Channel: pbn.ChannelSMS,
				Active: true, Trigger: "patient.birthday", Steps: `send SMS "Happy birthday ` + c.planted + `!"`}}
			dir := filepath.Join(t.TempDir(), "pack")
			_, err := handover.Write(ctx, dir, handover.Inputs{Source: src})
			require.True(t, errors.Is(err, handover.ErrPatientData), "%v", err)
			require.Contains(t, err.Error(), "automation 901")
			require.Contains(t, err.Error(), c.why)
			require.NotContains(t, strings.ToLower(err.Error()), strings.ToLower(c.planted))
			_, err = os.Stat(dir)
			require.True(t, os.IsNotExist(err), "nothing is written")
		})
	}
	// A name inside a longer word is not a name.
	last := name[strings.LastIndex(name, " ")+1:]
	src := &planted{Source: base, extra: pbn.Automation{ID: "902", Name: "x", Steps: `send SMS "` + name + "x" + `"`}}
	_, err := handover.Write(ctx, t.TempDir(), handover.Inputs{Source: src})
	require.NoError(t, err, "%q followed by a letter is another word", last)
}

// TestProposerWording: what the map proposer says about KPIs, cohorts and
// automations (run on a pbntest export folder, where they are files of
// their own) names the command and only files the pack writes, and names
// every file of the pack but the cutover sheet.
func TestProposerWording(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	_, err := pbntest.MustPractice(7, 20).WriteExport(ctx, dir, pbntest.ExportOptions{})
	require.NoError(t, err)
	inv, err := mapping.InventoryDir(os.DirFS(dir), mapping.InventoryOptions{})
	require.NoError(t, err)
	pr, err := mapping.Propose(ctx, inv, mapping.Destination{}, mapping.ProposeOptions{})
	require.NoError(t, err)
	fileName := regexp.MustCompile(`[a-z_]+\.(?:csv|json|html|md)\b`)
	mentioned := map[string]bool{}
	about := 0
	for _, n := range pr.Notes {
		entity, _, _ := strings.Cut(n, ":")
		switch entity {
		case "kpi_definitions", "kpi_values", "cohorts", "automations":
		default:
			continue
		}
		about++
		require.Contains(t, n, "pbn2hl handover", n)
		for _, f := range fileName.FindAllString(n, -1) {
			require.Contains(t, handover.Files, f, "%q names a file the pack does not write", n)
			mentioned[f] = true
		}
	}
	require.Equal(t, 4, about, "one note per entity: %q", pr.Notes)
	for _, f := range handover.Files {
		if f != handover.FileCutoverMD {
			require.True(t, mentioned[f], "no note mentions %s", f)
		}
	}
}

// TestCohortCounts: with a map that tags cohort members and a HighLevel
// client, each cohort's tag is counted in HighLevel with one search call,
// and a count that differs from PbN's says so.
func TestCohortCounts(t *testing.T) {
	ctx := context.Background()
	src := source(t, 30)
	hs := hltest.NewServer(hltest.Options{Locations: []hltest.Location{{ID: hltest.DefaultLocationID, Token: hltest.DefaultToken, AllowDuplicates: true}},
		RateLimit: hltest.RateLimit{Max: 100000, Window: time.Second}})
	t.Cleanup(hs.Close)
	hl, err := highlevel.NewClient(highlevel.Options{BaseURL: hs.URL, LocationID: hltest.DefaultLocationID, Auth: highlevel.StaticToken(hltest.DefaultToken)})
	require.NoError(t, err)
	cohorts := pbntest.MustPractice(7, 30).Cohorts()
	// The first cohort's members are all tagged; the second misses one.
	for i, c := range cohorts[:2] {
		n := int(c.PatientCount) - i
		for j := range n {
			_, err := hl.Contacts.Create(ctx, highlevel.ContactInput{FirstName: "Member", LastName: strconv.Itoa(i*1000 + j), Tags: []string{handover.CohortTag(c.Name)}})
			require.NoError(t, err)
		}
	}
	m := goldenMap()
	m.Objects[0].Fields = append(m.Objects[0].Fields, mapping.Field{From: "cohortIds", To: "tags"})
	before := hs.Served()
	p, err := handover.Write(ctx, t.TempDir(), handover.Inputs{Source: src, Map: m, HighLevel: hl})
	require.NoError(t, err)
	require.Equal(t, int64(len(cohorts)), hs.Served()-before, "one count call per cohort")
	require.Equal(t, "checked", p.Cohorts[0].Checked)
	require.Equal(t, int(cohorts[0].PatientCount), p.Cohorts[0].HighLevelCount)
	require.Equal(t, fmt.Sprintf("checked: HighLevel has %d, PbN %d", cohorts[1].PatientCount-1, cohorts[1].PatientCount), p.Cohorts[1].Checked)
	require.True(t, p.Cohorts[2].TagApplied)
	require.Equal(t, fmt.Sprintf("Tag is %q", p.Cohorts[2].Tag), p.Cohorts[2].SmartList)

	// Without a client the tags are not counted, and no call is made.
	before = hs.Served()
	p, err = handover.Write(ctx, t.TempDir(), handover.Inputs{Source: src, Map: m})
	require.NoError(t, err)
	require.Equal(t, before, hs.Served())
	require.Equal(t, "not checked: no HighLevel client", p.Cohorts[0].Checked)
}

// plantedCohort is a source with one more cohort.
type plantedCohort struct {
	pbn.Source
	extra pbn.Cohort
}

func (p *plantedCohort) Cohorts(ctx context.Context, opts pbn.ListOptions) iter.Seq2[pbn.Cohort, error] {
	return func(yield func(pbn.Cohort, error) bool) {
		for c, err := range p.Source.Cohorts(ctx, opts) {
			if !yield(c, err) || err != nil {
				return
			}
		}
		yield(p.extra, nil)
	}
}

// TestNoPatientDataInCohorts: a cohort's criteria naming a patient is
// refused like a template's text.
func TestNoPatientDataInCohorts(t *testing.T) {
	ctx := context.Background()
	base := source(t, 20)
	var name string
	for p, err := range base.Patients(ctx, pbn.ListOptions{}) {
		require.NoError(t, err)
		if len(p.FirstName) > 1 && len(p.LastName) > 1 {
			name = p.FirstName + " " + p.LastName
			break
		}
	}
	src := &plantedCohort{Source: base, extra: pbn.Cohort{ID: "77", Name: "Family", Criteria: "guarantor = " + name}}
	_, err := handover.Write(ctx, t.TempDir(), handover.Inputs{Source: src})
	require.ErrorIs(t, err, handover.ErrPatientData)
	require.Contains(t, err.Error(), "cohort 77")
	require.NotContains(t, err.Error(), name)
}

// TestCohortTagFromTheMap: with a map whose cohort table was drafted by
// Map.TagCohorts, cohorts.csv names the tag the map writes — a tag a
// person renamed in the map included — and counts that tag in HighLevel.
func TestCohortTagFromTheMap(t *testing.T) {
	ctx := context.Background()
	src := source(t, 30)
	cohorts := pbntest.MustPractice(7, 30).Cohorts()
	m := goldenMap()
	require.NoError(t, m.TagCohorts(cohorts))
	m.Objects[0].Field("tags").Values[0].To = "vip members"
	hs := hltest.NewServer(hltest.Options{Locations: []hltest.Location{{ID: hltest.DefaultLocationID, Token: hltest.DefaultToken, AllowDuplicates: true}},
		RateLimit: hltest.RateLimit{Max: 100000, Window: time.Second}})
	t.Cleanup(hs.Close)
	hl, err := highlevel.NewClient(highlevel.Options{BaseURL: hs.URL, LocationID: hltest.DefaultLocationID, Auth: highlevel.StaticToken(hltest.DefaultToken)})
	require.NoError(t, err)
	for j := range int(cohorts[0].PatientCount) {
		_, err := hl.Contacts.Create(ctx, highlevel.ContactInput{FirstName: "Member", LastName: strconv.Itoa(j), Tags: []string{"vip members"}})
		require.NoError(t, err)
	}
	p, err := handover.Write(ctx, t.TempDir(), handover.Inputs{Source: src, Map: m, HighLevel: hl})
	require.NoError(t, err)
	require.Len(t, p.Cohorts, len(cohorts))
	assert.Equal(t, "vip members", p.Cohorts[0].Tag, "the map's renamed tag")
	assert.True(t, p.Cohorts[0].TagApplied)
	assert.Equal(t, "checked", p.Cohorts[0].Checked, "the renamed tag is the one counted")
	assert.Equal(t, mapping.CohortTag(cohorts[1]), p.Cohorts[1].Tag)
	assert.Equal(t, handover.CohortTag(cohorts[1].Name), p.Cohorts[1].Tag, "one naming rule")
}
