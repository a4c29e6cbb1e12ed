package practicebynumbers

import (
	"context"
	"encoding/json"
	"strings"
	"testing"
	"testing/fstest"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// Every column names the record field it fills, by the record's JSON name,
// and no two columns of an entity fill the same field.
func TestColumnRecordFields(t *testing.T) {
	for e, s := range columnSpecs() {
		seen := map[string]bool{}
		for i, f := range s.fields {
			require.NotEmpty(t, f, "%s column %s", e, s.names[i])
			assert.False(t, seen[f], "%s: two columns fill %s", e, f)
			seen[f] = true
		}
	}
	// Field names agree with the JSON form of the records (what the map's
	// rules read through mapping.Struct).
	p := Patient{ID: "1", LastName: "x", Address: Address{City: "y"}}
	b, err := json.Marshal(p)
	require.NoError(t, err)
	assert.Contains(t, string(b), `"lastName":"x"`)
	assert.Contains(t, string(b), `"address":{"city":"y"}`)
	for field, want := range map[string]string{"id": "patient_id", "lastName": "last_name", "address.city": "city",
		"address.postalCode": "zip", "birthDate": "birth_date"} {
		h, aliases := FieldColumn(EntityPatients, field)
		assert.Equal(t, want, h, field)
		if field == "lastName" {
			assert.Contains(t, aliases, "LName")
		}
	}
	h, _ := FieldColumn(EntityFormSubmissions, "fields")
	assert.Equal(t, "fields", h)
	h, _ = FieldColumn(EntityStaff, "officeIds")
	assert.Equal(t, "office_ids", h)
	h, _ = FieldColumn(EntityPatients, "nope")
	assert.Empty(t, h)
}

func TestExportColumns(t *testing.T) {
	ctx := context.Background()
	r, err := NewExportReader(fstest.MapFS{
		"patients.csv":     {Data: []byte("PatNum,FName,Birthdate,custom.score,Favourite\n1,Ann,2000-01-02,3,x\n")},
		"appointments.csv": {Data: []byte("appointment_id,patient_id,LName\n")},
		"staff.csv":        {Data: []byte("staff_id,first_name\n1,Ren\xe9e\n")},
	}, ExportOptions{})
	require.NoError(t, err)
	c, err := r.Columns(ctx, EntityPatients)
	require.NoError(t, err)
	assert.Equal(t, "patients.csv", c.File)
	assert.True(t, c.Has("id"))
	assert.True(t, c.Has("firstName"))
	assert.True(t, c.Has("birthDate"))
	assert.False(t, c.Has("lastName"), "no last_name column")
	assert.True(t, c.Has("custom.score"))
	assert.True(t, c.Has("custom.Favourite"))

	c, err = r.Columns(ctx, EntityAppointments)
	require.NoError(t, err)
	assert.True(t, c.Has("patientId"))
	assert.True(t, c.Has("custom.LName"), "a header of another entity is a custom value here")

	c, err = r.Columns(ctx, EntityProcedures)
	require.NoError(t, err)
	assert.Empty(t, c.File, "no file")

	_, err = r.Columns(ctx, EntityStaff)
	var fe *FileError
	require.ErrorAs(t, err, &fe, "a file the reader refuses is refused by Columns too")
	assert.True(t, strings.HasPrefix(err.Error(), "staff.csv: line 2"))
}
