package hltest

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

const loc = DefaultLocationID

func createField(t *testing.T, tc *tclient, body map[string]any) map[string]any {
	t.Helper()
	return obj(t, tc.do("POST", "/locations/"+loc+"/customFields", body).must(t, 201)["customField"])
}

func TestLocationCustomFields(t *testing.T) {
	s, tc := newTestServer(t, Options{})
	ext := createField(t, tc, map[string]any{"name": "PbN Patient ID", "dataType": "TEXT", "model": "contact"})
	assert.Equal(t, "contact.pbn_patient_id", ext["fieldKey"])
	num := createField(t, tc, map[string]any{"name": "Balance", "dataType": "NUMERICAL"})
	pick := createField(t, tc, map[string]any{"name": "Insurance Tier", "dataType": "SINGLE_OPTIONS", "options": []string{"Gold", "Silver"}})
	multi := createField(t, tc, map[string]any{"name": "Allergies", "dataType": "MULTIPLE_OPTIONS", "options": []string{"Latex", "Penicillin"}})
	date := createField(t, tc, map[string]any{"name": "Original Created", "dataType": "DATE", "fieldKey": "pbn_created"})
	assert.Equal(t, "contact.pbn_created", date["fieldKey"])
	opp := createField(t, tc, map[string]any{"name": "Case Type", "dataType": "TEXT", "model": "opportunity"})
	assert.Equal(t, "opportunity.case_type", opp["fieldKey"])

	dup := tc.do("POST", "/locations/"+loc+"/customFields", map[string]any{"name": "PbN Patient ID", "dataType": "TEXT"}).must(t, 400)
	assert.Contains(t, dup["message"], "already exists")
	tc.do("POST", "/locations/"+loc+"/customFields", map[string]any{"name": "X", "dataType": "BOOLEAN"}).must(t, 422)
	tc.do("POST", "/locations/"+loc+"/customFields", map[string]any{"name": "Y", "dataType": "SINGLE_OPTIONS"}).must(t, 422)

	list := tc.do("GET", "/locations/"+loc+"/customFields?model=contact", nil).must(t, 200)
	assert.Len(t, list["customFields"], 5)
	all := tc.do("GET", "/locations/"+loc+"/customFields?model=all", nil).must(t, 200)
	assert.Len(t, all["customFields"], 6)
	bad := tc.do("GET", "/locations/"+loc+"/customFields?locationId="+loc, nil).must(t, 422)
	assert.Equal(t, []string{"property locationId should not exist"}, messages(t, bad))

	// Values are checked against the field's data type.
	cf := func(id string, v any) map[string]any { return map[string]any{"id": id, "field_value": v} }
	okBody := map[string]any{"locationId": loc, "firstName": "P", "customFields": []any{
		cf(ext["id"].(string), "p-1"), cf(num["id"].(string), 12.5), cf(pick["id"].(string), "Gold"),
		cf(multi["id"].(string), []string{"Latex"}), map[string]any{"key": "contact.pbn_created", "fieldValue": "2019-04-01"},
		cf("unknownFieldId000001", "ignored"),
	}}
	c := obj(t, tc.do("POST", "/contacts/", okBody).must(t, 201)["contact"])
	stored, found := s.Contact(loc, c["id"].(string))
	require.True(t, found)
	assert.Equal(t, map[string]any{ext["id"].(string): "p-1", num["id"].(string): 12.5, pick["id"].(string): "Gold",
		multi["id"].(string): []string{"Latex"}, date["id"].(string): "2019-04-01"}, stored.CustomFields)

	for name, v := range map[string]map[string]any{
		"number":  cf(num["id"].(string), "twelve"),
		"option":  cf(pick["id"].(string), "Bronze"),
		"multi":   cf(multi["id"].(string), []string{"Dust"}),
		"date":    cf(date["id"].(string), "yesterday"),
		"text":    cf(ext["id"].(string), []string{"a"}),
		"no id":   {"field_value": "x"},
		"unknown": {"id": ext["id"], "field_value": "x", "color": "red"},
	} {
		t.Run(name, func(t *testing.T) {
			tc.do("POST", "/contacts/", map[string]any{"locationId": loc, "customFields": []any{v}}).must(t, 422)
		})
	}

	upd := tc.do("PUT", "/locations/"+loc+"/customFields/"+pick["id"].(string), map[string]any{"name": "Tier", "options": []string{"Gold", "Silver", "Bronze"}}).must(t, 200)
	assert.Equal(t, []any{"Gold", "Silver", "Bronze"}, obj(t, upd["customField"])["picklistOptions"])
	tc.do("DELETE", "/locations/"+loc+"/customFields/"+num["id"].(string), nil).must(t, 200)
	stored, _ = s.Contact(loc, c["id"].(string))
	assert.NotContains(t, stored.CustomFields, num["id"])
	tc.do("GET", "/locations/"+loc+"/customFields/"+num["id"].(string), nil).must(t, 400)
	tc.do("GET", "/locations/otherLocation00000001/customFields", nil).must(t, 403)
}

func createSchema(t *testing.T, tc *tclient, key string) map[string]any {
	t.Helper()
	return obj(t, tc.do("POST", "/objects/", map[string]any{
		"labels": map[string]any{"singular": "Appointment", "plural": "Appointments"}, "key": key,
		"locationId":                    loc,
		"primaryDisplayPropertyDetails": map[string]any{"key": "name", "name": "Name", "dataType": "TEXT"},
	}).must(t, 201)["object"])
}

func folderOf(t *testing.T, tc *tclient, objectKey string) string {
	t.Helper()
	b := tc.do("GET", "/custom-fields/object-key/"+objectKey+"?locationId="+loc, nil).must(t, 200)
	folders := b["folders"].([]any)
	require.NotEmpty(t, folders)
	return obj(t, folders[0])["id"].(string)
}

func TestCustomObjectsAndRecords(t *testing.T) {
	s, tc := newTestServer(t, Options{Users: []User{{ID: "user0000000000000001", Name: "Dr Who", Email: "who@x.com"}}})
	o := createSchema(t, tc, "custom_objects.appointment")
	assert.Equal(t, "custom_objects.appointment.name", o["primaryDisplayProperty"])
	assert.Equal(t, false, o["standard"])
	tc.do("POST", "/objects/", map[string]any{"labels": map[string]any{"singular": "A", "plural": "B"}, "key": "custom_objects.appointment",
		"locationId": loc, "primaryDisplayPropertyDetails": map[string]any{"key": "name", "name": "Name", "dataType": "TEXT"}}).must(t, 400)
	tc.do("POST", "/objects/", map[string]any{"labels": map[string]any{"singular": "A", "plural": "B"}, "key": "appointment",
		"locationId": loc, "primaryDisplayPropertyDetails": map[string]any{"key": "name", "name": "Name", "dataType": "TEXT"}}).must(t, 400)

	list := tc.do("GET", "/objects/?locationId="+loc, nil).must(t, 200)
	keys := []string{}
	for _, x := range list["objects"].([]any) {
		keys = append(keys, obj(t, x)["key"].(string))
	}
	assert.Equal(t, []string{"contact", "opportunity", "business", "custom_objects.appointment"}, keys)

	folder := folderOf(t, tc, "custom_objects.appointment")
	field := func(key, dt string, opts ...map[string]any) map[string]any {
		body := map[string]any{"locationId": loc, "name": key, "dataType": dt, "fieldKey": "custom_objects.appointment." + key,
			"objectKey": "custom_objects.appointment", "parentId": folder, "showInForms": true}
		if opts != nil {
			body["options"] = opts
		}
		return obj(t, tc.do("POST", "/custom-fields/", body).must(t, 201)["field"])
	}
	field("duration", "NUMERICAL")
	field("status", "SINGLE_OPTIONS", map[string]any{"key": "booked", "label": "Booked"}, map[string]any{"key": "done", "label": "Done"})
	field("fee", "MONETORY")
	// fieldKey must carry the object prefix; parentId must be a folder of the object.
	tc.do("POST", "/custom-fields/", map[string]any{"locationId": loc, "name": "x", "dataType": "TEXT", "fieldKey": "x",
		"objectKey": "custom_objects.appointment", "parentId": folder, "showInForms": true}).must(t, 400)
	tc.do("POST", "/custom-fields/", map[string]any{"locationId": loc, "name": "x", "dataType": "TEXT", "fieldKey": "custom_objects.appointment.x",
		"objectKey": "custom_objects.appointment", "showInForms": true}).must(t, 422)

	schema := tc.do("GET", "/objects/custom_objects.appointment?locationId="+loc, nil).must(t, 200)
	assert.Len(t, schema["fields"], 4)

	rec := obj(t, tc.do("POST", "/objects/custom_objects.appointment/records", map[string]any{
		"locationId": loc, "owner": []string{"user0000000000000001"},
		"properties": map[string]any{"name": "Cleaning", "duration": 30, "status": "booked", "fee": map[string]any{"currency": "default", "value": 120}},
	}).must(t, 201)["record"])
	id := rec["id"].(string)
	assert.Equal(t, "Cleaning", obj(t, rec["properties"])["name"])

	for name, props := range map[string]map[string]any{
		"prefixed key":   {"name": "x", "custom_objects.appointment.duration": 3},
		"unknown":        {"name": "x", "room": "2"},
		"bad option":     {"name": "x", "status": "cancelled"},
		"no primary":     {"duration": 3},
		"bad number":     {"name": "x", "duration": "long"},
		"unknown owner ": nil,
	} {
		t.Run(name, func(t *testing.T) {
			body := map[string]any{"locationId": loc, "properties": props}
			if props == nil {
				body = map[string]any{"locationId": loc, "properties": map[string]any{"name": "x"}, "owner": []string{"nobody00000000000001"}}
				tc.do("POST", "/objects/custom_objects.appointment/records", body).must(t, 400)
				return
			}
			tc.do("POST", "/objects/custom_objects.appointment/records", body).must(t, 422)
		})
	}

	upd := tc.do("PUT", "/objects/custom_objects.appointment/records/"+id+"?locationId="+loc,
		map[string]any{"properties": map[string]any{"status": "done"}}).must(t, 200)
	props := obj(t, obj(t, upd["record"])["properties"])
	assert.Equal(t, "done", props["status"])
	assert.Equal(t, "Cleaning", props["name"])
	tc.do("PUT", "/objects/custom_objects.appointment/records/"+id, map[string]any{"properties": map[string]any{}}).must(t, 403)

	obj(t, tc.do("POST", "/objects/custom_objects.appointment/records", map[string]any{"locationId": loc,
		"properties": map[string]any{"name": "Filling"}}).must(t, 201)["record"])
	found := tc.do("POST", "/objects/custom_objects.appointment/records/search", map[string]any{
		"locationId": loc, "page": 1, "pageLimit": 10, "query": "clean", "searchAfter": []any{}}).must(t, 200)
	assert.EqualValues(t, 1, found["total"])
	all := tc.do("POST", "/objects/custom_objects.appointment/records/search", map[string]any{
		"locationId": loc, "page": 1, "pageLimit": 1, "query": "", "searchAfter": []any{}}).must(t, 200)
	assert.EqualValues(t, 2, all["total"])
	assert.Len(t, all["records"], 1)
	next := tc.do("POST", "/objects/custom_objects.appointment/records/search", map[string]any{
		"locationId": loc, "page": 1, "pageLimit": 1, "query": "", "searchAfter": obj(t, all["records"].([]any)[0])["searchAfter"]}).must(t, 200)
	require.Len(t, next["records"], 1)
	assert.NotEqual(t, obj(t, all["records"].([]any)[0])["id"], obj(t, next["records"].([]any)[0])["id"])
	tc.do("POST", "/objects/custom_objects.appointment/records/search", map[string]any{"locationId": loc, "pageLimit": 10}).must(t, 422)

	assert.Equal(t, 2, s.Count(loc, "custom_objects.appointment"))
	assert.Equal(t, 2, s.Count(loc, KindRecord))
	tc.do("DELETE", "/objects/custom_objects.appointment/records/"+id, nil).must(t, 200)
	tc.do("GET", "/objects/custom_objects.appointment/records/"+id, nil).must(t, 400)
	assert.Equal(t, 1, s.Count(loc, KindObjectSchema))
}

func TestAssociationsAndRelations(t *testing.T) {
	s, tc := newTestServer(t, Options{})
	createSchema(t, tc, "custom_objects.appointment")
	rec := obj(t, tc.do("POST", "/objects/custom_objects.appointment/records", map[string]any{"locationId": loc,
		"properties": map[string]any{"name": "Exam"}}).must(t, 201)["record"])
	ct := obj(t, tc.do("POST", "/contacts/", map[string]any{"locationId": loc, "firstName": "P"}).must(t, 201)["contact"])

	a := tc.do("POST", "/associations/", map[string]any{"locationId": loc, "key": "patient_appointment",
		"firstObjectKey": "contact", "firstObjectLabel": "Patient", "secondObjectKey": "custom_objects.appointment",
		"secondObjectLabel": "Appointment"}).must(t, 201)
	aid := a["id"].(string)
	assert.Equal(t, "USER_DEFINED", a["associationType"])
	tc.do("POST", "/associations/", map[string]any{"locationId": loc, "key": "patient_appointment",
		"firstObjectKey": "contact", "firstObjectLabel": "P", "secondObjectKey": "custom_objects.appointment", "secondObjectLabel": "A"}).must(t, 400)
	assert.Equal(t, aid, tc.do("GET", "/associations/key/patient_appointment?locationId="+loc, nil).must(t, 200)["id"])

	// Order must match the association: contact first.
	tc.do("POST", "/associations/relations", map[string]any{"locationId": loc, "associationId": aid,
		"firstRecordId": rec["id"], "secondRecordId": ct["id"]}).must(t, 400)
	r := tc.do("POST", "/associations/relations", map[string]any{"locationId": loc, "associationId": aid,
		"firstRecordId": ct["id"], "secondRecordId": rec["id"]}).must(t, 201)
	tc.do("POST", "/associations/relations", map[string]any{"locationId": loc, "associationId": aid,
		"firstRecordId": ct["id"], "secondRecordId": rec["id"]}).must(t, 400)
	rel := tc.do("GET", "/associations/relations/"+ct["id"].(string)+"?locationId="+loc+"&skip=0&limit=10", nil).must(t, 200)
	assert.EqualValues(t, 1, rel["total"])
	assert.Equal(t, 1, s.Count(loc, KindRelation))

	tc.do("DELETE", "/associations/relations/"+r["id"].(string)+"?locationId="+loc, nil).must(t, 200)
	assert.Equal(t, 0, s.Count(loc, KindRelation))
	tc.do("POST", "/associations/relations", map[string]any{"locationId": loc, "associationId": aid,
		"firstRecordId": ct["id"], "secondRecordId": rec["id"]}).must(t, 201)
	// Deleting the contact removes its relations.
	tc.do("DELETE", "/contacts/"+ct["id"].(string), nil).must(t, 200)
	assert.Equal(t, 0, s.Count(loc, KindRelation))
	list := tc.do("GET", "/associations/?locationId="+loc+"&skip=0&limit=10", nil).must(t, 200)
	assert.EqualValues(t, 1, list["total"])
	del := tc.do("DELETE", "/associations/"+aid, nil).must(t, 200)
	assert.Equal(t, true, del["deleted"])
	assert.Equal(t, 0, s.Count(loc, KindAssociation))
}
