package pbnhl_test

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/pbnhl/pbnhl/highlevel"
	"github.com/pbnhl/pbnhl/highlevel/hltest"
)

// runThroughCancellations runs e's migration until one run completes,
// cancelling each attempt after 20 to 79 more calls, and returns how many
// runs were cancelled (each must end with context.Canceled).
func runThroughCancellations(t *testing.T, ctx context.Context, e *env) int {
	t.Helper()
	interruptions := 0
	for attempt := 0; ; attempt++ {
		require.Less(t, attempt, 500, "the run never completed")
		cctx, cancel := context.WithCancel(ctx)
		stopAt := e.calls.Load() + 20 + int64(attempt*7%60)
		hook := func(highlevel.Call) {
			if e.calls.Load() >= stopAt {
				cancel()
			}
		}
		e.hook.Store(&hook)
		_, err := e.migration(nil).Load(cctx)
		e.hook.Store(nil)
		cancel()
		if err == nil {
			return interruptions
		}
		require.ErrorIs(t, err, context.Canceled)
		interruptions++
	}
}

// fieldIDs maps each custom field key of the simulated location
// ("contact.pbn_patient_id") to its id.
func fieldIDs(e *env) map[string]string {
	byField := map[string]string{}
	for _, f := range e.hl.Records(hltest.DefaultLocationID, hltest.KindCustomField) {
		byField[fmt.Sprint(f["fieldKey"])] = fmt.Sprint(f["id"])
	}
	return byField
}

// contactPatients maps each contact to the PbN patient id its external-id
// field carries.
func contactPatients(e *env) map[string]string {
	id := fieldIDs(e)["contact.pbn_patient_id"]
	out := map[string]string{}
	for _, c := range e.hl.Contacts(hltest.DefaultLocationID) {
		out[c.ID] = fmt.Sprint(c.CustomFields[id])
	}
	return out
}

// migratedPatients are the patients that arrived as contacts.
func migratedPatients(e *env) map[string]bool {
	out := map[string]bool{}
	for _, p := range contactPatients(e) {
		out[p] = true
	}
	return out
}

// markerKey is the source key of record type typ that text carries in its
// identity marker line ("" without one).
func markerKey(text, typ string) string {
	for line := range strings.Lines(text) {
		if i := strings.Index(line, "/"+typ+"/"); i >= 0 && strings.HasPrefix(strings.TrimSpace(line), "pbnhl-id ") {
			return strings.TrimSpace(line[i+len(typ)+2:])
		}
	}
	return ""
}
