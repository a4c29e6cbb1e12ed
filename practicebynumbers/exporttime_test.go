package practicebynumbers

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"testing"
	"testing/fstest"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestExportInventoryServerTime(t *testing.T) {
	future := time.Now().Add(48 * time.Hour).UTC().Format("2006-01-02 15:04:05Z")
	patients := "patient_id,first_name,DateTStamp\n" +
		"1,A,2026-03-04 10:00:00-06:00\n" +
		"2,B,2026-03-05 09:00:00\n" + // practice zone (UTC here)
		"3,C," + future + "\n" + // a mis-set clock: ignored
		"4,D,not a time\n" + // a bad row: counted, does not date the export
		"5,E,\n"
	appts := "appointment_id,patient_id,updated_at\n10,1,2026-03-04 12:00:00Z\n"
	cases := []struct {
		name  string
		files fstest.MapFS
		want  time.Time
	}{
		{"newest change stamp", fstest.MapFS{
			"patients.csv":     {Data: []byte(patients)},
			"appointments.csv": {Data: []byte(appts)},
		}, time.Date(2026, 3, 5, 9, 0, 0, 0, time.UTC)},
		{"a newer deletion", fstest.MapFS{
			"patients.csv":  {Data: []byte(patients)},
			"deletions.csv": {Data: []byte("entity,id,deleted_at\npatients,9,2026-03-06 00:00:00Z\n")},
		}, time.Date(2026, 3, 6, 0, 0, 0, 0, time.UTC)},
		{"the manifest wins", fstest.MapFS{
			"patients.csv":  {Data: []byte(patients)},
			"Manifest.JSON": {Data: []byte(`{"contract":"v1","exportedAt":"2026-03-07T08:00:00+02:00"}`)},
		}, time.Date(2026, 3, 7, 6, 0, 0, 0, time.UTC)},
		{"no stamps: zero", fstest.MapFS{
			"patients.csv": {Data: []byte("patient_id,first_name\n1,A\n")},
		}, time.Time{}},
		{"empty folder: zero", fstest.MapFS{}, time.Time{}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			r, err := NewExportReader(tc.files, ExportOptions{Location: time.UTC})
			require.NoError(t, err)
			inv, err := r.Inventory(context.Background())
			require.NoError(t, err)
			assert.Equal(t, tc.want, inv.ServerTime)
			if tc.files["patients.csv"] != nil {
				assert.Positive(t, inv.Counts[EntityPatients])
			}
		})
	}

	for name, m := range map[string]string{
		"not JSON":      `exported yesterday`,
		"no exportedAt": `{"contract":"v1"}`,
	} {
		t.Run("manifest "+name, func(t *testing.T) {
			r, err := NewExportReader(fstest.MapFS{"manifest.json": {Data: []byte(m)}}, ExportOptions{})
			require.NoError(t, err)
			_, err = r.Inventory(context.Background())
			var fe *FileError
			require.True(t, errors.As(err, &fe), "%v", err)
			assert.Equal(t, "manifest.json", fe.File)
		})
	}
}

func TestClientInventoryServerTime(t *testing.T) {
	body := `{"counts":{"patients":2},"customProperties":[{"id":1,"key":"k","custom":{"n":1}}]}`
	inventory := func(date, body string) Inventory {
		srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if date == "" {
				w.Header()["Date"] = nil // else the server library adds one
			} else {
				w.Header().Set("Date", date)
			}
			_, _ = w.Write([]byte(body))
		}))
		defer srv.Close()
		inv, err := newTestClient(t, srv.URL, nil).Inventory(context.Background())
		require.NoError(t, err)
		return inv
	}
	const date = "Mon, 30 Nov 2026 09:00:00 GMT"
	inv := inventory(date, `{"serverTime":"2026-11-30T08:59:58.7Z","counts":{}}`)
	assert.Equal(t, time.Date(2026, 11, 30, 8, 59, 58, 0, time.UTC), inv.ServerTime, "the member wins")
	inv = inventory(date, body)
	assert.Equal(t, time.Date(2026, 11, 30, 9, 0, 0, 0, time.UTC), inv.ServerTime, "else the Date header")
	assert.Equal(t, map[string]string{"n": "1"}, inv.CustomProperties[0].Custom, "numeric custom values here too")
	assert.Equal(t, int64(2), inv.Counts[EntityPatients])
	assert.Zero(t, inventory("", body).ServerTime, "else zero")
}

func TestInventoryErrorsQuoteNoValue(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = w.Write([]byte(`{"counts":987654321}`))
	}))
	defer srv.Close()
	_, err := newTestClient(t, srv.URL, nil).Inventory(context.Background())
	require.Error(t, err)
	assert.NotContains(t, err.Error(), "987654321")
	assert.Contains(t, err.Error(), `member "counts"`)
}
