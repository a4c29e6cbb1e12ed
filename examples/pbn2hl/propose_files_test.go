package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/pbnhl/pbnhl/mapping"
)

// TestProposeFiles: propose -files drafts a map for every folder of the
// proposer's labelled set (reports shaped like Dentrix, Eaglesoft, Open
// Dental, Denticon — in UTF-16 —, Curve, a folder holding only a patients
// file, a messy one), each a map that loads, with the review grouped and
// the files it could not place named on the console.
func TestProposeFiles(t *testing.T) {
	r := newRig(t, 5, 0)
	root := filepath.Join("..", "..", "mapping", "testdata", "exports")
	dirs, err := os.ReadDir(root)
	require.NoError(t, err)
	n := 0
	for _, d := range dirs {
		if !d.IsDir() {
			continue
		}
		n++
		mapPath, review := r.path(d.Name()+".yaml"), r.path(d.Name()+".md")
		code, out, errOut := r.run("propose", "-files", "-export", filepath.Join(root, d.Name()), "-out", mapPath, "-review", review)
		require.Equal(t, exitOK, code, "%s: %s\n%s", d.Name(), out, errOut)
		m, err := mapping.Load(mapPath)
		require.NoError(t, err, "%s: the draft loads", d.Name())
		assert.NotEmpty(t, m.Objects, d.Name())
		rv, err := os.ReadFile(review)
		require.NoError(t, err)
		for _, h := range []string{"## Files", "## Needs a decision", "## Not migrated: sensitive", "## Skipped", "## Confident"} {
			assert.Contains(t, string(rv), h, d.Name())
		}
		if d.Name() == "messy" {
			assert.Contains(t, errOut, "Fee Schedule: not recognised — map by hand")
		}
	}
	assert.GreaterOrEqual(t, n, 6)

	code, _, errOut := r.run("propose", "-files", "-from", "default", "-export", root, "-out", r.path("x.yaml"), "-review", r.path("x.md"))
	assert.Equal(t, exitUsage, code)
	assert.Contains(t, errOut, "-files drafts from an export folder")
}

// TestProposeHintsFiles: a folder of another system's reports read
// through the PbN reader is not silently ignored: propose names the files
// the reader does not know and points at -files.
func TestProposeHintsFiles(t *testing.T) {
	r := newRig(t, 5, 0)
	dir := filepath.Join("..", "..", "mapping", "testdata", "exports", "dentrix")
	code, _, errOut := r.run("propose", "-export", dir, "-out", r.path("m.yaml"), "-review", r.path("m.md"))
	assert.Equal(t, exitFailed, code, "no PbN entity has records: no map is written")
	assert.Contains(t, errOut, "add -files")
	assert.True(t, strings.Contains(errOut, "Ledger.csv"), errOut)
	noFile(t, r.path("m.yaml"))
	rv, err := os.ReadFile(r.path("m.md"))
	require.NoError(t, err, "the review says why")
	assert.Contains(t, string(rv), "no records; no object drafted")
}
