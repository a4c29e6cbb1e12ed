package main

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/pbnhl/pbnhl/handover"
)

// TestDemoHandoverPack: the demo writes the handover pack into its output
// folder, says where, and the cutover sheet counts what the run moved.
func TestDemoHandoverPack(t *testing.T) {
	cfg := testConfig(t, "-patients", "10", "-sample", "3", "-speedup", "2000", "-seed", "7")
	var out bytes.Buffer
	_, err := run(context.Background(), cfg, &out)
	require.NoError(t, err, out.String())
	dir := filepath.Join(cfg.outDir, "handover")
	require.Contains(t, out.String(), "Handover pack (KPIs and their history, cohorts, the workflow rebuild guide, the cutover sheet): "+dir)
	for _, f := range handover.Files {
		st, err := os.Stat(filepath.Join(dir, f))
		require.NoError(t, err, f)
		require.Positive(t, st.Size(), f)
	}
	cut, err := os.ReadFile(filepath.Join(dir, handover.FileCutoverMD))
	require.NoError(t, err)
	require.Regexp(t, `\| contact \| patients \| [1-9]\d* \| 0 \|`, string(cut))
}
