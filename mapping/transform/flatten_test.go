package transform

import (
	"testing"

	"github.com/stretchr/testify/assert"
)

func TestFlatten(t *testing.T) {
	vals := []string{" Spanish ", "", "English", "Spanish", "  "}
	assert.Equal(t, "Spanish; English; Spanish", Join(vals, "; ", FlattenOptions{}))
	assert.Equal(t, "Spanish; English", Join(vals, "; ", FlattenOptions{Dedupe: true}))
	assert.Equal(t, "Spanish||English|Spanish|", Join(vals, "|", FlattenOptions{KeepBlank: true}))
	assert.Equal(t, "x", Join([]string{" x "}, ",", FlattenOptions{}))
	assert.Equal(t, "", Join(nil, ",", FlattenOptions{}))
	assert.Equal(t, "Spanish", First(vals))
	assert.Equal(t, "", First([]string{" ", ""}))
	assert.Equal(t, `["Spanish","English","Spanish"]`, JSONArray(vals, FlattenOptions{}))
	assert.Equal(t, `["Spanish","English"]`, JSONArray(vals, FlattenOptions{Dedupe: true}))
	assert.Equal(t, `[]`, JSONArray(nil, FlattenOptions{}))
	assert.Equal(t, `["a<b & \"c\""]`, JSONArray([]string{`a<b & "c"`}, FlattenOptions{}))
	assert.Equal(t, []string{"Spanish", "English"}, Values(vals, FlattenOptions{Dedupe: true}))
	assert.Equal(t, []string{"Spanish", "English", "x"}, Split(" Spanish; English | x;;", ";|"))
	assert.Empty(t, Split("", ";"))
}
