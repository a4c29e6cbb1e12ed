package pbnhl_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/pbnhl/pbnhl"
	"github.com/pbnhl/pbnhl/highlevel/hltest"
	pbn "github.com/pbnhl/pbnhl/practicebynumbers"
	"github.com/pbnhl/pbnhl/practicebynumbers/pbntest"
)

// A delta deletes the task of a deleted message like its note: every
// record a target keeps under its contact is found through the journal
// (its contact), not only notes. Before, a task of a deleted message was
// looked for in the id index and read without its contact.
func TestDeltaDeletesTasksUnderTheirContact(t *testing.T) {
	day := pbntest.DefaultAsOf.Add(24 * time.Hour)
	e := withoutDocuments(t, newEnv(t, envOptions{patients: size(12), seed: 43, notes: true, now: func() time.Time { return day }}))
	e.m.Objects = append(e.m.Objects, taskObject())
	require.NoError(t, e.m.Approve("test", time.Date(2026, 12, 1, 9, 0, 0, 0, time.UTC)))
	ctx := context.Background()
	migrate(t, e, nil)

	tasksOf := func() map[string]bool {
		keys := map[string]bool{}
		for _, r := range e.hl.Records(hltest.DefaultLocationID, hltest.KindTask) {
			body, _ := r["body"].(string)
			if k := taskKey(body); k != "" {
				keys[k] = true
			}
		}
		return keys
	}
	before := tasksOf()
	require.NotEmpty(t, before)
	changes := e.pbn.MutateWith(pbntest.MutateOptions{Delete: 12})
	var deleted []string
	for _, id := range changes.Deleted[pbn.EntityCommunications] {
		if before[string(id)] {
			deleted = append(deleted, string(id))
		}
	}
	require.NotEmpty(t, deleted, "the mutation must delete messages that became tasks")

	rep, err := e.migration(func(o *pbnhl.Options) { o.Deletions = pbnhl.DeleteDeleted }).Delta(ctx)
	require.NoError(t, err)
	after := tasksOf()
	for _, k := range deleted {
		assert.False(t, after[k], "the task of deleted message %s is deleted", k)
	}
	assert.GreaterOrEqual(t, rep.Deleted, len(deleted), strings.Join(deleted, ","))
}
