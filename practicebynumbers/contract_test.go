package practicebynumbers

import (
	"os"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestContractHeaders keeps CONTRACT.md's canonical header lines equal to the
// code the writer and the reader share.
func TestContractHeaders(t *testing.T) {
	doc, err := os.ReadFile("CONTRACT.md")
	require.NoError(t, err)
	text := string(doc)
	for _, e := range Entities() {
		line := e.FileName() + "\t" + strings.Join(CSVHeader(e), ",") + "\n"
		assert.Contains(t, text, line, "entity %s", e)
		assert.Contains(t, text, "`/v1/"+string(e)+"`", "entity %s path", e)
	}
	assert.Contains(t, text, DeletionsFileName+"\t"+strings.Join(DeletionsHeader(), ",")+"\n")
}

func TestEntities(t *testing.T) {
	es := Entities()
	require.Len(t, es, 16)
	seen := map[Entity]bool{}
	for _, e := range es {
		assert.True(t, e.Valid())
		assert.False(t, seen[e], "duplicate %s", e)
		seen[e] = true
		got, err := ParseEntity(strings.ToUpper(strings.ReplaceAll(string(e), "_", " ")))
		require.NoError(t, err)
		assert.Equal(t, e, got)
		require.NotEmpty(t, CSVHeader(e))
	}
	_, err := ParseEntity("nope")
	assert.Error(t, err)
	assert.False(t, Entity("nope").Valid())
	assert.Nil(t, CSVHeader("nope"))
	es[0] = "mutated"
	assert.Equal(t, EntityOffices, Entities()[0], "Entities returns a copy")
}
