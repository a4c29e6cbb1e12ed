package hltest

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

// FuzzCreateContact throws arbitrary bodies at the strictest write path:
// the simulator must answer 200/201, 400, 403 (another locationId) or 422,
// never panic or 500.
func FuzzCreateContact(f *testing.F) {
	f.Add(`{"locationId":"` + DefaultLocationID + `","firstName":"A","email":"a@x.com","phone":"+14155550100"}`)
	f.Add(`{"locationId":"` + DefaultLocationID + `","customFields":[{"id":"x","field_value":[1,{}]}],"dndSettings":{"SMS":{"status":1}}}`)
	f.Add(`{"locationId":"` + DefaultLocationID + `","dateOfBirth":{"a":1},"tags":[null]}`)
	f.Add(`[1,2]`)
	f.Add(`{"locationId":`)
	s := NewUnstartedServer(Options{RateLimit: RateLimit{Disabled: true}, RequestLogLimit: 1000})
	f.Fuzz(func(t *testing.T, body string) {
		for _, path := range []string{"/contacts/", "/contacts/upsert", "/contacts/search"} {
			rec := httptest.NewRecorder()
			req := httptest.NewRequest("POST", path, strings.NewReader(body))
			req.Header.Set("Authorization", "Bearer "+DefaultToken)
			req.Header.Set("Version", "2021-07-28")
			s.ServeHTTP(rec, req)
			switch rec.Code {
			case http.StatusOK, http.StatusCreated, http.StatusBadRequest, http.StatusForbidden, http.StatusUnprocessableEntity:
			default:
				t.Fatalf("%s: status %d for %q: %s", path, rec.Code, body, rec.Body)
			}
		}
	})
}

// FuzzCustomObjectRecord covers record properties against typed fields.
func FuzzCustomObjectRecord(f *testing.F) {
	f.Add(`{"name":"x","n":3,"pick":"a","multi":["a","b"],"day":"2020-01-02","fee":{"currency":"default","value":1}}`)
	f.Add(`{"name":null,"n":"x","multi":"a","day":12}`)
	s := NewUnstartedServer(Options{RateLimit: RateLimit{Disabled: true}, RequestLogLimit: 1000})
	do := func(method, path, body string) int {
		rec := httptest.NewRecorder()
		req := httptest.NewRequest(method, path, strings.NewReader(body))
		req.Header.Set("Authorization", "Bearer "+DefaultToken)
		req.Header.Set("Version", "2021-07-28")
		s.ServeHTTP(rec, req)
		return rec.Code
	}
	do("POST", "/objects/", `{"labels":{"singular":"T","plural":"Ts"},"key":"custom_objects.t","locationId":"`+DefaultLocationID+
		`","primaryDisplayPropertyDetails":{"key":"name","name":"Name","dataType":"TEXT"}}`)
	s.mustSeedFields("custom_objects.t", map[string]string{"n": "NUMERICAL", "pick": "SINGLE_OPTIONS", "multi": "MULTIPLE_OPTIONS", "day": "DATE", "fee": "MONETORY"})
	f.Fuzz(func(t *testing.T, props string) {
		code := do("POST", "/objects/custom_objects.t/records", `{"locationId":"`+DefaultLocationID+`","properties":`+props+`}`)
		if code != 201 && code != 400 && code != 403 && code != 422 {
			t.Fatalf("status %d for %q", code, props)
		}
	})
}

// mustSeedFields adds V2 fields to a custom object directly (test setup).
func (s *Server) mustSeedFields(objectKey string, fields map[string]string) {
	l := s.st.Load().locs[DefaultLocationID]
	l.mu.Lock()
	defer l.mu.Unlock()
	for key, dt := range fields {
		f := &customField{meta: s.newMeta(l, s.clock()), name: key, fieldKey: objectKey + "." + key, dataType: dt,
			objectKey: objectKey, model: objectKey, v2: true,
			options: []fieldOption{{Key: "a", Label: "A"}, {Key: "b", Label: "B"}}}
		l.fields.put(f)
	}
}
