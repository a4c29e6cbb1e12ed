package mapping

import (
	"context"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestCompositeSourceKey: a source key may join several fields by "+"; the
// key is their trimmed values joined by "|" ("" when all are empty), and a
// field whose own name holds a "+" is read as it is.
func TestCompositeSourceKey(t *testing.T) {
	o := &Object{SourceKey: "Patient ID + Service Date"}
	assert.Equal(t, []string{"Patient ID", "Service Date"}, o.KeyParts())
	assert.Equal(t, "0042|2024-01-02", o.KeyOf(Row{"Patient ID": " 0042 ", "Service Date": "2024-01-02"}))
	assert.Equal(t, "0042|", o.KeyOf(Row{"Patient ID": "0042"}))
	assert.Empty(t, o.KeyOf(Row{"Patient ID": " ", "Service Date": ""}))
	assert.Equal(t, "7", o.KeyOf(Row{"Patient ID + Service Date": "7"}), "a column of that very name")
	single := &Object{SourceKey: "id"}
	assert.Equal(t, []string{"id"}, single.KeyParts())
	assert.Equal(t, "9", single.KeyOf(Row{"id": "9"}))
}

// TestProposeCompositeKey: a report without a column identifying a record
// is keyed by the fewest columns whose sampled values together are unique
// (Eaglesoft's "Procedures Completed": Patient ID + Service Date), for
// review; a report whose rows repeat entirely keeps a placeholder.
func TestProposeCompositeKey(t *testing.T) {
	inv, err := InventoryDir(os.DirFS(filepath.Join("testdata", "exports", "eaglesoft")), InventoryOptions{})
	require.NoError(t, err)
	pr, err := Propose(context.Background(), inv, Destination{}, ProposeOptions{})
	require.NoError(t, err)
	o := pr.Map.Object("procedures_completed")
	require.NotNil(t, o)
	assert.Equal(t, "Patient ID + Service Date", o.SourceKey)
	var item *ReviewItem
	for i := range pr.Review {
		if pr.Review[i].Object == o.Name && pr.Review[i].Target == "source_key" {
			item = &pr.Review[i]
		}
	}
	require.NotNil(t, item, "the key is in the review")
	assert.Equal(t, o.SourceKey, item.Field)
	assert.Less(t, item.Confidence, 0.6)
	assert.Contains(t, item.Why, "keyed by 2 columns")
	assert.Equal(t, "Appointment ID", pr.Map.Object("scheduled_appointments").SourceKey, "an id column stays the key")

	e := &EntityInventory{Fields: []FieldInventory{
		{Name: "Patient", Samples: []string{"1", "1", "2", "2"}},
		{Name: "Date", Samples: []string{"d1", "d2", "d1", "d2"}},
		{Name: "Code", Samples: []string{"x", "x", "x", "y"}},
	}}
	sn := make([]sniff, len(e.Fields))
	for i := range e.Fields {
		sn[i] = sniffField(e.Fields[i])
	}
	assert.Equal(t, []string{"Patient", "Date"}, compositeKey(e, sn))
	for i := range e.Fields {
		e.Fields[i].Samples[1] = e.Fields[i].Samples[0] // row 2 repeats row 1 entirely
		sn[i] = sniffField(e.Fields[i])
	}
	assert.Nil(t, compositeKey(e, sn), "no combination tells two identical rows apart")
}
