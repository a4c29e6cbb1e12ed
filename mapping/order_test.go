package mapping

import (
	"slices"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestOrder(t *testing.T) {
	m := mustDefault(t)
	objs, err := m.Order()
	require.NoError(t, err)
	// The history policy turns off what it writes the other way: the
	// messages' notes, the procedures' and appointments' logs.
	require.Len(t, objs, len(m.Objects)-3)
	pos := map[string]int{}
	for i, o := range objs {
		pos[o.Name] = i
	}
	for _, o := range objs {
		for _, l := range o.Lookups {
			if l.Object != o.Name {
				assert.Less(t, pos[l.Object], pos[o.Name], "%s before %s", l.Object, o.Name)
			}
		}
	}
	// Reversed document: the order still puts parents first.
	slices.Reverse(m.Objects)
	objs, err = m.Order()
	require.NoError(t, err)
	assert.Less(t, slices.IndexFunc(objs, func(o *Object) bool { return o.Name == "patients" }),
		slices.IndexFunc(objs, func(o *Object) bool { return o.Name == "appointments" }))

	m.Object("offices").Lookups = []Lookup{{From: "x", Object: "patients", To: LinkContact}}
	_, err = m.Order()
	assert.ErrorContains(t, err, "cycle")
}
