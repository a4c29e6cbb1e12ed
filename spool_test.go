package pbnhl

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/pbnhl/pbnhl/mapping"
)

func TestSpool(t *testing.T) {
	ctx := context.Background()
	s, err := newSpool(ctx)
	require.NoError(t, err)
	for i, key := range []string{"7", "8", "7"} {
		p := mapping.Payload{Object: "communication_log", SourceKey: key + "-" + string(rune('a'+i)),
			Custom: []mapping.Value{{Key: "body", Text: "secret body " + key}}}
		require.NoError(t, s.add(ctx, key, &p))
	}
	require.NoError(t, s.seal(ctx))
	got, err := s.take(ctx, "7")
	require.NoError(t, err)
	require.Len(t, got, 2)
	assert.Equal(t, "7-a", got[0].SourceKey, "entries come back in order")
	assert.Equal(t, "7-c", got[1].SourceKey)
	assert.Equal(t, "secret body 7", got[1].Custom[0].Text)
	none, err := s.take(ctx, "9")
	require.NoError(t, err)
	assert.Empty(t, none)

	raw, err := os.ReadFile(filepath.Join(s.dir, "spool.db"))
	require.NoError(t, err)
	assert.False(t, bytes.Contains(raw, []byte("secret body")), "entries are sealed on disk")

	require.NoError(t, s.close())
	_, err = os.Stat(s.dir)
	assert.True(t, os.IsNotExist(err), "the spool is removed")
}
