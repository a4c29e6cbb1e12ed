package hltest

import (
	"bytes"
	"fmt"
	"io"
	"mime/multipart"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestContactSearch(t *testing.T) {
	clk := newFakeClock()
	_, tc := newTestServer(t, Options{Clock: clk.Now})
	ext := createField(t, tc, map[string]any{"name": "pbn_patient_id", "dataType": "TEXT"})
	bal := createField(t, tc, map[string]any{"name": "balance", "dataType": "NUMERICAL"})
	ids := make([]string, 30)
	for i := range 30 {
		body := map[string]any{"locationId": loc, "firstName": fmt.Sprintf("Pat%02d", i), "city": []string{"Oslo", "Bergen", "Oslo"}[i%3],
			"customFields": []any{map[string]any{"id": ext["id"], "field_value": fmt.Sprint("p-", i)}, map[string]any{"id": bal["id"], "field_value": i * 10}}}
		if i%2 == 0 {
			body["email"] = fmt.Sprintf("p%d@x.com", i)
			body["tags"] = []string{"even"}
		}
		ids[i] = obj(t, tc.do("POST", "/contacts/", body).must(t, 201)["contact"])["id"].(string)
		clk.Advance(time.Millisecond)
	}
	count := func(filters ...map[string]any) float64 {
		t.Helper()
		fs := make([]any, len(filters))
		for i, f := range filters {
			fs[i] = f
		}
		return tc.do("POST", "/contacts/search", map[string]any{"locationId": loc, "pageLimit": 100, "filters": fs}).must(t, 200)["total"].(float64)
	}
	f := func(field, op string, v any) map[string]any {
		return map[string]any{"field": field, "operator": op, "value": v}
	}
	assert.EqualValues(t, 30, count())
	assert.EqualValues(t, 20, count(f("city", "eq", "oslo")))
	assert.EqualValues(t, 10, count(f("city", "not_eq", "Oslo")))
	assert.EqualValues(t, 15, count(f("email", "exists", nil)))
	assert.EqualValues(t, 15, count(f("tags", "eq", "even")))
	assert.EqualValues(t, 1, count(f("customFields."+ext["id"].(string), "eq", "p-7")))
	assert.EqualValues(t, 11, count(f("customFields."+ext["id"].(string), "contains", "p-1")))
	assert.EqualValues(t, 6, count(f("customFields."+bal["id"].(string), "range", map[string]any{"gte": 100, "lt": 160})))
	assert.EqualValues(t, 10, count(f("city", "eq", "Oslo"), f("email", "exists", nil)))
	assert.EqualValues(t, 25, count(map[string]any{"group": "OR", "filters": []any{f("city", "eq", "Oslo"), f("email", "exists", nil)}}))
	from := clk.Now().Add(-10 * time.Millisecond).Format(isoMillis)
	assert.EqualValues(t, 10, count(f("dateAdded", "range", map[string]any{"gte": from})))
	bad := tc.do("POST", "/contacts/search", map[string]any{"locationId": loc, "filters": []any{f("shoeSize", "eq", "9"), f("city", "like", "x")}}).must(t, 422)
	assert.Len(t, messages(t, bad), 2)

	// Paging: page/pageLimit, then searchAfter, both in dateAdded order.
	var got []string
	for page := 1; page <= 4; page++ {
		b := tc.do("POST", "/contacts/search", map[string]any{"locationId": loc, "page": page, "pageLimit": 8,
			"sort": []any{map[string]any{"field": "dateAdded", "direction": "asc"}}}).must(t, 200)
		for _, c := range b["contacts"].([]any) {
			got = append(got, obj(t, c)["id"].(string))
		}
	}
	assert.Equal(t, ids, got)
	got = nil
	var after []any
	for range 10 {
		body := map[string]any{"locationId": loc, "pageLimit": 7}
		if after != nil {
			body["searchAfter"] = after
		}
		b := tc.do("POST", "/contacts/search", body).must(t, 200)
		cs := b["contacts"].([]any)
		if len(cs) == 0 {
			break
		}
		for _, c := range cs {
			got = append(got, obj(t, c)["id"].(string))
		}
		after = obj(t, cs[len(cs)-1])["searchAfter"].([]any)
	}
	assert.Equal(t, ids, got)
	deep := tc.do("POST", "/contacts/search", map[string]any{"locationId": loc, "page": 21, "pageLimit": 500}).must(t, 400)
	assert.Contains(t, deep["message"], "searchAfter")
	tc.do("POST", "/contacts/search", map[string]any{"locationId": loc, "pageLimit": 501}).must(t, 422)

	// Legacy list: limit ≤ 100, cursor startAfter/startAfterId.
	got = nil
	q := "/contacts/?locationId=" + loc + "&limit=12"
	for range 5 {
		b := tc.do("GET", q, nil).must(t, 200)
		for _, c := range b["contacts"].([]any) {
			got = append(got, obj(t, c)["id"].(string))
		}
		m := obj(t, b["meta"])
		if m["startAfterId"] == nil {
			break
		}
		q = fmt.Sprintf("/contacts/?locationId=%s&limit=12&startAfter=%.0f&startAfterId=%s", loc, m["startAfter"], m["startAfterId"])
	}
	assert.Equal(t, ids, got)
	tc.do("GET", "/contacts/?locationId="+loc+"&limit=101", nil).must(t, 422)
}

func TestTagsNotesTasksAndBusinesses(t *testing.T) {
	s, tc := newTestServer(t, Options{Users: []User{{ID: "user0000000000000001", Name: "Dr A", Email: "a@clinic.com"}}})
	c := obj(t, tc.do("POST", "/contacts/", map[string]any{"locationId": loc, "firstName": "T", "tags": []string{"a"}}).must(t, 201)["contact"])
	cid := c["id"].(string)
	assert.Equal(t, []any{"a", "b"}, tc.do("POST", "/contacts/"+cid+"/tags", map[string]any{"tags": []string{"B", "a"}}).must(t, 201)["tags"])
	assert.Equal(t, []any{"b"}, tc.do("DELETE", "/contacts/"+cid+"/tags", map[string]any{"tags": []string{"a"}}).must(t, 200)["tags"])
	bulk := tc.do("POST", "/contacts/bulk/tags/update/add", map[string]any{"locationId": loc, "contacts": []string{cid, "missing0000000000001"},
		"tags": []string{"recall"}}).must(t, 201)
	assert.EqualValues(t, 1, bulk["errorCount"])
	tc.do("POST", "/contacts/bulk/tags/update/toggle", map[string]any{"locationId": loc, "contacts": []string{cid}, "tags": []string{"x"}}).must(t, 422)
	stored, _ := s.Contact(loc, cid)
	assert.Equal(t, []string{"b", "recall"}, stored.Tags)

	n := obj(t, tc.do("POST", "/contacts/"+cid+"/notes", map[string]any{"body": "Called about recall", "userId": "user0000000000000001"}).must(t, 201)["note"])
	tc.do("POST", "/contacts/"+cid+"/notes", map[string]any{"body": "x", "dateAdded": "2020-01-01"}).must(t, 422)
	tc.do("POST", "/contacts/"+cid+"/notes", map[string]any{"body": "x", "userId": "nobody00000000000001"}).must(t, 400)
	tc.do("PUT", "/contacts/"+cid+"/notes/"+n["id"].(string), map[string]any{"body": "Edited"}).must(t, 200)
	notes := tc.do("GET", "/contacts/"+cid+"/notes", nil).must(t, 200)["notes"].([]any)
	require.Len(t, notes, 1)
	assert.Equal(t, "Edited", obj(t, notes[0])["body"])

	tk := obj(t, tc.do("POST", "/contacts/"+cid+"/tasks", map[string]any{"title": "Recall", "dueDate": "2026-05-01T09:00:00Z", "completed": false,
		"assignedTo": "user0000000000000001"}).must(t, 201)["task"])
	tc.do("POST", "/contacts/"+cid+"/tasks", map[string]any{"title": "Recall", "dueDate": "soon", "completed": false}).must(t, 422)
	tc.do("POST", "/contacts/"+cid+"/tasks", map[string]any{"title": "Recall"}).must(t, 422)
	done := obj(t, tc.do("PUT", "/contacts/"+cid+"/tasks/"+tk["id"].(string)+"/completed", map[string]any{"completed": true}).must(t, 200)["task"])
	assert.Equal(t, true, done["completed"])
	assert.Len(t, tc.do("GET", "/contacts/"+cid+"/tasks", nil).must(t, 200)["tasks"], 1)

	b := tc.do("POST", "/businesses/", map[string]any{"locationId": loc, "name": "Main St Dental", "city": "Oslo"}).must(t, 201)
	assert.Equal(t, true, b["success"])
	bid := obj(t, b["buiseness"])["id"].(string)
	tc.do("POST", "/businesses/", map[string]any{"locationId": loc, "name": "X", "customFields": []any{}}).must(t, 422)
	tc.do("PUT", "/businesses/"+bid, map[string]any{"description": "Flagship"}).must(t, 200)
	assert.Len(t, tc.do("GET", "/businesses/?locationId="+loc, nil).must(t, 200)["businesses"], 1)
	link := tc.do("POST", "/contacts/bulk/business", map[string]any{"locationId": loc, "ids": []string{cid}, "businessId": bid}).must(t, 200)
	assert.Equal(t, []any{cid}, link["ids"])
	assert.Equal(t, bid, obj(t, tc.do("GET", "/contacts/"+cid, nil).must(t, 200)["contact"])["businessId"])
	assert.EqualValues(t, 1, tc.do("GET", "/contacts/business/"+bid+"?locationId="+loc, nil).must(t, 200)["count"])
	tc.do("POST", "/contacts/", map[string]any{"locationId": loc, "businessId": bid}).must(t, 422)
	tc.do("POST", "/contacts/bulk/business", map[string]any{"locationId": loc, "ids": []string{cid}, "businessId": nil}).must(t, 200)
	stored, _ = s.Contact(loc, cid)
	assert.Empty(t, stored.BusinessID)
	tc.do("DELETE", "/businesses/"+bid, nil).must(t, 200)
	tc.do("GET", "/businesses/"+bid, nil).must(t, 400)

	tc.do("DELETE", "/contacts/"+cid, nil).must(t, 200)
	assert.Equal(t, 0, s.Count(loc, KindNote))
	assert.Equal(t, 0, s.Count(loc, KindTask))
}

func TestGetLocation(t *testing.T) {
	_, tc := newTestServer(t, Options{Locations: []Location{{ID: loc, Token: DefaultToken, Name: "Smile Dental", AllowDuplicates: true}}})
	l := obj(t, tc.do("GET", "/locations/"+loc, nil).must(t, 200)["location"])
	assert.Equal(t, "Smile Dental", l["name"])
	assert.Equal(t, true, obj(t, l["settings"])["allowDuplicateContact"])
	tc.do("GET", "/locations/otherLocation0000001", nil).must(t, 403)
}

func TestCrossLocation(t *testing.T) {
	other := Location{ID: "otherLocation0000001", Token: "pit-other"}
	_, tc := newTestServer(t, Options{Locations: []Location{{ID: loc, Token: DefaultToken}, other}})
	c := obj(t, tc.do("POST", "/contacts/", map[string]any{"locationId": loc, "firstName": "Mine"}).must(t, 201)["contact"])
	o := tc.as("pit-other")
	o.do("GET", "/contacts/"+c["id"].(string), nil).must(t, 403)
	o.do("PUT", "/contacts/"+c["id"].(string), map[string]any{"city": "x"}).must(t, 403)
	o.do("POST", "/contacts/", map[string]any{"locationId": loc}).must(t, 403)
	o.do("GET", "/contacts/"+"unknownContact000001", nil).must(t, 400)
}

func TestUsers(t *testing.T) {
	users, err := LoadUsers(strings.NewReader(`{"users":[{"id":"user0000000000000001","name":"Dr A","firstName":"A","lastName":"Doc","email":"a@clinic.com","roles":{"type":"account","role":"admin","locationIds":["` + loc + `"]}},
		{"id":"user0000000000000002","name":"Hyg B","email":"b@clinic.com","roles":{"locationIds":["elsewhere00000000001"]}}]}`))
	require.NoError(t, err)
	require.Len(t, users, 2)
	assert.Equal(t, "admin", users[0].Role)
	_, err = LoadUsers(strings.NewReader(`[{"id":"short"}]`))
	require.Error(t, err)

	_, tc := newTestServer(t, Options{Users: users})
	r := tc.do("GET", "/users/search?companyId="+DefaultCompanyID+"&locationId="+loc, nil).must(t, 200)
	assert.EqualValues(t, 1, r["count"])
	u := obj(t, r["users"].([]any)[0])
	assert.Equal(t, "a@clinic.com", u["email"])
	assert.Equal(t, "admin", obj(t, u["roles"])["role"])
	assert.EqualValues(t, 0, tc.do("GET", "/users/search?companyId="+DefaultCompanyID+"&query=hyg", nil).must(t, 200)["count"])
	tc.do("GET", "/users/search?locationId="+loc, nil).must(t, 422)
	tc.do("GET", "/users/search?companyId=someoneElse000000001", nil).must(t, 403)
	assert.Len(t, tc.do("GET", "/users/?locationId="+loc, nil).must(t, 200)["users"], 1)
	byEmail := tc.do("POST", "/users/search/filter-by-email", map[string]any{"companyId": DefaultCompanyID, "emails": "A@clinic.com, nobody@x.com"}).must(t, 200)
	assert.EqualValues(t, 1, byEmail["count"])
	tc.do("POST", "/users/search/filter-by-email", map[string]any{"companyId": DefaultCompanyID}).must(t, 422)
	// Owners must be users of the location.
	tc.do("POST", "/contacts/", map[string]any{"locationId": loc, "assignedTo": "user0000000000000002"}).must(t, 400)
	tc.do("POST", "/contacts/", map[string]any{"locationId": loc, "assignedTo": "user0000000000000001"}).must(t, 201)
}

func TestOAuth(t *testing.T) {
	clk := newFakeClock()
	s, tc := newTestServer(t, Options{Clock: clk.Now, OAuthClients: []OAuthClient{{ID: "app-1", Secret: "s3cret", RedirectURI: "https://app.example/cb"}}})
	token := func(form url.Values) (int, map[string]any) {
		t.Helper()
		req, _ := http.NewRequest("POST", s.URL+"/oauth/token", strings.NewReader(form.Encode()))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		res, err := s.Client().Do(req)
		require.NoError(t, err)
		defer res.Body.Close()
		var body map[string]any
		raw, _ := io.ReadAll(res.Body)
		require.NoError(t, jsonUnmarshal(raw, &body))
		return res.StatusCode, body
	}
	code := s.AuthorizationCode("app-1", "Location", loc)
	base := url.Values{"client_id": {"app-1"}, "client_secret": {"s3cret"}}
	with := func(kv ...string) url.Values {
		v := url.Values{}
		for k, vs := range base {
			v[k] = vs
		}
		for i := 0; i < len(kv); i += 2 {
			v.Set(kv[i], kv[i+1])
		}
		return v
	}
	st, _ := token(with("grant_type", "authorization_code", "code", code, "redirect_uri", "https://evil.example"))
	assert.Equal(t, 400, st)
	st, _ = token(url.Values{"client_id": {"app-1"}, "client_secret": {"wrong"}, "grant_type": {"authorization_code"}, "code": {code}})
	assert.Equal(t, 401, st)
	st, tok := token(with("grant_type", "authorization_code", "code", code, "redirect_uri", "https://app.example/cb", "user_type", "Location"))
	require.Equal(t, 200, st, "%v", tok)
	assert.Equal(t, loc, tok["locationId"])
	assert.EqualValues(t, 86399, tok["expires_in"])
	st, _ = token(with("grant_type", "authorization_code", "code", code))
	assert.Equal(t, 400, st, "codes are single-use")

	access := tok["access_token"].(string)
	assert.True(t, strings.HasPrefix(access, "eyJ"))
	tc.as(access).do("GET", "/contacts/?locationId="+loc, nil).must(t, 200)

	st, tok2 := token(with("grant_type", "refresh_token", "refresh_token", tok["refresh_token"].(string)))
	require.Equal(t, 200, st)
	assert.NotEqual(t, tok["refresh_token"], tok2["refresh_token"])
	st, _ = token(with("grant_type", "refresh_token", "refresh_token", tok["refresh_token"].(string)))
	assert.Equal(t, 400, st, "refresh tokens rotate")

	clk.Advance(24 * time.Hour)
	exp := tc.as(tok2["access_token"].(string)).do("GET", "/contacts/?locationId="+loc, nil).must(t, 401)
	assert.Equal(t, msgInvalidJWT, exp["message"])
	st, tok3 := token(with("grant_type", "refresh_token", "refresh_token", tok2["refresh_token"].(string)))
	require.Equal(t, 200, st)
	tc.as(tok3["access_token"].(string)).do("GET", "/contacts/?locationId="+loc, nil).must(t, 200)

	// Agency tokens cannot call location APIs; they exchange for a location token.
	_, agency := token(with("grant_type", "authorization_code", "code", s.AuthorizationCode("app-1", "Company", ""), "redirect_uri", "https://app.example/cb"))
	at := agency["access_token"].(string)
	scope := tc.as(at).do("GET", "/contacts/?locationId="+loc, nil).must(t, 401)
	assert.Equal(t, msgScopeUnauthorized, scope["message"])
	req, _ := http.NewRequest("POST", s.URL+"/oauth/locationToken", strings.NewReader(url.Values{"companyId": {DefaultCompanyID}, "locationId": {loc}}.Encode()))
	req.Header.Set("Authorization", "Bearer "+at)
	req.Header.Set("Version", "2021-07-28")
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	res, err := s.Client().Do(req)
	require.NoError(t, err)
	var lt map[string]any
	raw, _ := io.ReadAll(res.Body)
	res.Body.Close()
	require.Equal(t, 200, res.StatusCode, "%s", raw)
	require.NoError(t, jsonUnmarshal(raw, &lt))
	tc.as(lt["access_token"].(string)).do("GET", "/contacts/?locationId="+loc, nil).must(t, 200)
}

func TestMediaUpload(t *testing.T) {
	s, tc := newTestServer(t, Options{})
	upload := func(fields map[string]string, file []byte) (int, map[string]any) {
		t.Helper()
		var buf bytes.Buffer
		mw := multipart.NewWriter(&buf)
		for k, v := range fields {
			require.NoError(t, mw.WriteField(k, v))
		}
		if file != nil {
			w, err := mw.CreateFormFile("file", "xray.png")
			require.NoError(t, err)
			_, _ = w.Write(file)
		}
		require.NoError(t, mw.Close())
		req, _ := http.NewRequest("POST", s.URL+"/medias/upload-file", &buf)
		req.Header.Set("Content-Type", mw.FormDataContentType())
		req.Header.Set("Authorization", "Bearer "+DefaultToken)
		req.Header.Set("Version", "2021-07-28")
		res, err := s.Client().Do(req)
		require.NoError(t, err)
		defer res.Body.Close()
		var body map[string]any
		raw, _ := io.ReadAll(res.Body)
		require.NoError(t, jsonUnmarshal(raw, &body))
		return res.StatusCode, body
	}
	st, body := upload(nil, []byte("PNG..."))
	require.Equal(t, 200, st, "%v", body)
	assert.True(t, isID(body["fileId"].(string)))
	assert.Contains(t, body["url"], ".png")
	st, _ = upload(map[string]string{"hosted": "true", "fileUrl": "https://files.example/consent.pdf"}, nil)
	assert.Equal(t, 200, st)
	st, _ = upload(map[string]string{"hosted": "true", "fileUrl": "not a url"}, nil)
	assert.Equal(t, 422, st)
	st, _ = upload(nil, nil)
	assert.Equal(t, 400, st)
	st, _ = upload(map[string]string{"color": "red"}, []byte("x"))
	assert.Equal(t, 422, st)
	if !testing.Short() {
		st, _ = upload(nil, make([]byte, maxUpload+1))
		assert.Equal(t, 400, st)
	}
	assert.Equal(t, 2, s.Count(loc, KindMedia))
	files := tc.do("GET", "/medias/files?sortBy=createdAt&sortOrder=asc&type=file&altType=location&altId="+loc, nil).must(t, 200)
	assert.Len(t, files["files"], 2)
	tc.do("GET", "/medias/files?altType=location&altId="+loc, nil).must(t, 422)
}
