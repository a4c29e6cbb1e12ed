package main

import (
	"bytes"
	"context"
	"encoding/csv"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/pbnhl/pbnhl/highlevel"
	"github.com/pbnhl/pbnhl/highlevel/hltest"
	"github.com/pbnhl/pbnhl/mapping"
	pbn "github.com/pbnhl/pbnhl/practicebynumbers"
	"github.com/pbnhl/pbnhl/practicebynumbers/pbntest"
	"github.com/pbnhl/pbnhl/rollback"
)

// keyStyle gives the simulator's numeric ids the shapes practice systems
// use: patients "0042" and "42" (two records: leading zeros count), A-17
// style codes and zero-padded numbers; providers and users DRE1-style codes;
// appointments zero-padded. Every reference is rewritten with its target.
type keyStyle struct{}

func (keyStyle) patient(id string) string {
	switch id {
	case "1":
		return "0042"
	case "2":
		return "42"
	}
	var n int
	fmt.Sscan(id, &n)
	if n%2 == 1 {
		return "A-" + id
	}
	return fmt.Sprintf("%04d", n)
}

func (keyStyle) staff(id string) string       { return "DRE" + id }
func (keyStyle) appointment(id string) string { return "0" + id }

// rewriteKeys rewrites the id and reference columns of a canonical export.
func rewriteKeys(t *testing.T, dir string) {
	t.Helper()
	var k keyStyle
	cols := map[string]func(string) string{
		"patient_id": k.patient, "guarantor_id": k.patient, "subscriber_patient_id": k.patient,
		"staff_id": k.staff, "provider_id": k.staff, "hygienist_id": k.staff, "assigned_staff_id": k.staff,
		"appointment_id": k.appointment,
	}
	files, err := filepath.Glob(filepath.Join(dir, "*.csv"))
	require.NoError(t, err)
	for _, f := range files {
		raw, err := os.ReadFile(f)
		require.NoError(t, err)
		rows, err := csv.NewReader(bytes.NewReader(raw)).ReadAll()
		require.NoError(t, err, f)
		if len(rows) == 0 {
			continue
		}
		for j, h := range rows[0] {
			fn := cols[h]
			if fn == nil {
				continue
			}
			for _, row := range rows[1:] {
				if row[j] != "" {
					row[j] = fn(row[j])
				}
			}
		}
		var b bytes.Buffer
		w := csv.NewWriter(&b)
		require.NoError(t, w.WriteAll(rows))
		require.NoError(t, os.WriteFile(f, b.Bytes(), 0o600))
	}
}

// TestAlphanumericSourceKeys: an export whose patients are 0042, 42 and
// A-17, whose providers are DRE1 and whose appointments are 0501 goes
// through propose → approve → schema → preflight → run → reconcile: every
// patient and appointment arrives under its key as written, 0042 and 42
// are two contacts, and each appointment is related to its own patient's
// contact.
func TestAlphanumericSourceKeys(t *testing.T) {
	r := newRig(t, 12, 0)
	ctx := context.Background()
	export := r.path("export")
	_, err := r.pbn.WriteExport(ctx, export, pbntest.ExportOptions{})
	require.NoError(t, err)
	rewriteKeys(t, export)
	delete(r.env, envPBNToken)

	// The export as the reader sees it: every row read, keys as written.
	src, err := pbn.OpenExport(export, pbn.ExportOptions{})
	require.NoError(t, err)
	patients, err := pbn.Collect(src.Patients(ctx, pbn.ListOptions{}))
	require.NoError(t, err, "no row rejected")
	appts, err := pbn.Collect(src.Appointments(ctx, pbn.ListOptions{}))
	require.NoError(t, err, "no row rejected")
	staff, err := pbn.Collect(src.Staff(ctx, pbn.ListOptions{}))
	require.NoError(t, err)
	require.Len(t, patients, 12)
	keys := map[pbn.Key]bool{}
	for _, p := range patients {
		keys[p.ID] = true
	}
	for _, want := range []pbn.Key{"0042", "42", "A-3", "0004"} {
		assert.True(t, keys[want], "patient %s read as written", want)
	}
	require.True(t, strings.HasPrefix(string(staff[0].ID), "DRE"))
	require.NotEmpty(t, appts)
	assert.True(t, strings.HasPrefix(string(appts[0].ID), "0"))

	srcArgs := []string{"-export", export}
	mapPath, ledger := r.path("map.yaml"), r.path("l.ledger")
	r.mustRun(join([]string{"propose", "-out", mapPath, "-review", r.path("review.md")}, srcArgs, r.hlArgs())...)
	m, err := mapping.Load(mapPath)
	require.NoError(t, err)
	ao := m.Object("appointments")
	require.NotNil(t, ao, "the proposer maps appointments")
	var assocKey string
	for _, lk := range ao.Lookups {
		if lk.To == mapping.LinkAssociation && lk.Object == "patients" {
			assocKey = lk.Association
		}
	}
	require.NotEmpty(t, assocKey, "appointments are related to their patient")
	r.mustRun("approve", "-map", mapPath, "-by", "Dr. Reviewer")
	args := join([]string{"-map", mapPath}, r.led(ledger), srcArgs, r.hlArgs())
	r.mustRun(append([]string{"schema", "-apply", "-new-ledger"}, args...)...)
	r.mustRun(append([]string{"preflight"}, args...)...)
	out := r.mustRun(append([]string{"run"}, args...)...)
	assert.Contains(t, out, "run done")
	out = r.mustRun(append([]string{"reconcile", "-deep"}, args...)...)
	assert.NotContains(t, out, "missing")

	l, err := rollback.Open(ctx, ledger, rollback.Options{ReadOnly: true, Key: bytes.Repeat([]byte{7}, 32)})
	require.NoError(t, err)
	defer l.Close()
	contactOf := map[string]string{}
	for _, p := range patients {
		e, ok, err := l.Lookup(ctx, rollback.TypeContact, string(p.ID))
		require.NoError(t, err)
		require.True(t, ok, "patient %s migrated", p.ID)
		contactOf[string(p.ID)] = e.HighLevelID
	}
	assert.NotEqual(t, contactOf["0042"], contactOf["42"], "0042 and 42 are two patients")
	assert.Equal(t, len(patients), r.contacts())

	hl, err := highlevel.NewClient(highlevel.Options{BaseURL: r.hl.URL, LocationID: hltest.DefaultLocationID,
		Auth: highlevel.StaticToken(hltest.DefaultToken)})
	require.NoError(t, err)
	assoc, err := hl.Associations.GetByKey(ctx, assocKey)
	require.NoError(t, err)
	related := 0
	for _, a := range appts {
		e, ok, err := l.Lookup(ctx, ao.RecordType(), string(a.ID))
		require.NoError(t, err)
		if !ok {
			continue // a record the map filters (a schedule note) or finds invalid is counted below
		}
		var to []string
		for rel, err := range hl.Associations.Relations(ctx, e.HighLevelID, highlevel.RelationListOptions{AssociationIDs: []string{assoc.ID}}) {
			require.NoError(t, err)
			other := rel.FirstRecordID
			if other == e.HighLevelID {
				other = rel.SecondRecordID
			}
			to = append(to, other)
		}
		assert.Equal(t, []string{contactOf[string(a.PatientID)]}, to, "appointment %s is related to patient %s", a.ID, a.PatientID)
		related++
	}
	assert.Positive(t, related)
	n := 0
	for _, err := range l.IDMap(ctx, ao.RecordType()) {
		require.NoError(t, err)
		n++
	}
	assert.Equal(t, related, n)
	t.Logf("appointments: %d in the export, %d migrated", len(appts), n)
	assert.Equal(t, len(appts), n, "every appointment arrives")
}
