package practicebynumbers

import (
	"context"
	"errors"
	"os"
	"testing"
	"testing/fstest"

	"github.com/stretchr/testify/require"
)

// FuzzExportReader feeds arbitrary bytes as a CSV file of a few entities:
// the reader never panics, every yield is a record or an error of a known
// kind, and no row disappears (records + row errors >= data rows read).
func FuzzExportReader(f *testing.F) {
	for _, name := range []string{"patients.csv", "appointments.csv", "procedures.csv", "Providers.csv"} {
		b, err := os.ReadFile("testdata/export/" + name)
		require.NoError(f, err)
		f.Add(b, uint8(0))
	}
	f.Add([]byte("\xEF\xBB\xBFpatient_id,notes\r\n1,\"a\r\nb\"\r\n2,\"unterminated\r\n"), uint8(0))
	f.Add([]byte("PatNum,Birthdate,custom.x\n1,0001-01-01,\n\n2,13/13/2020,y\n"), uint8(0))
	f.Add([]byte("\xFF\xFE\x00"), uint8(1))
	// Ids as practice systems write them: codes, leading zeros, and cells
	// that are not ids at all.
	f.Add([]byte("patient_id,guarantor_id,provider_id\nA-17,0042,DRE1\n0042,,HYG2\n42,A-17,\n\"a b\",x|y,\"\x01\"\n../x,..,a/b\n"), uint8(0))
	f.Fuzz(func(t *testing.T, data []byte, which uint8) {
		ctx := context.Background()
		r, err := NewExportReader(fstest.MapFS{
			"patients.csv":     {Data: data},
			"appointments.csv": {Data: data},
			"procedures.csv":   {Data: data},
			"staff.csv":        {Data: data},
		}, ExportOptions{})
		require.NoError(t, err)
		check := func(err error) {
			var re *RowError
			var fe *FileError
			if !errors.As(err, &re) && !errors.As(err, &fe) {
				t.Fatalf("unexpected error kind %T: %v", err, err)
			}
		}
		switch which % 4 {
		case 0:
			for p, err := range r.Patients(ctx, ListOptions{}) {
				if err != nil {
					check(err)
					continue
				}
				require.Positive(t, p.ID)
			}
		case 1:
			for a, err := range r.Appointments(ctx, ListOptions{PatientID: "1"}) {
				if err != nil {
					check(err)
					continue
				}
				require.Equal(t, Key("1"), a.PatientID)
			}
		case 2:
			for p, err := range r.Procedures(ctx, ListOptions{}) {
				if err != nil {
					check(err)
					continue
				}
				require.Positive(t, p.ID)
			}
		case 3:
			inv, err := r.Inventory(ctx)
			if err != nil {
				check(err)
				return
			}
			var n int64
			for _, err := range r.Staff(ctx, ListOptions{}) {
				if err != nil {
					var fe *FileError
					if errors.As(err, &fe) {
						return
					}
				}
				n++
			}
			require.Equal(t, inv.Counts[EntityStaff], n, "every row is a record or a row error")
		}
	})
}
