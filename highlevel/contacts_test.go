package highlevel

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strconv"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/pbnhl/pbnhl/highlevel/hltest"
)

// opCase is one operation's round trip: what the client must send and how
// it must decode the answer.
type opCase struct {
	name      string
	pattern   string // server route
	status    int
	response  string
	call      func(ctx context.Context, c *Client) (any, error)
	wantQuery map[string]string
	wantBody  string // JSON, "" for no body
	check     func(t *testing.T, got any)
}

func runOpCases(t *testing.T, cases []opCase) {
	t.Helper()
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			ts := newTestServer(t)
			ts.handle(tc.pattern, func(w http.ResponseWriter, r *http.Request) {
				writeJSON(w, tc.status, tc.response)
			})
			got, err := tc.call(context.Background(), ts.client)
			require.NoError(t, err)
			r := ts.last()
			method, path := splitPattern(tc.pattern)
			assert.Equal(t, method, r.Method)
			if path != "" {
				assert.Equal(t, path, r.Path)
			}
			assert.Equal(t, "Bearer "+testToken, r.Header.Get("Authorization"))
			assert.Equal(t, Version20210728, r.Header.Get("Version"))
			assert.Equal(t, "application/json", r.Header.Get("Accept"))
			q := map[string]string{}
			for k, v := range r.Query {
				q[k] = v[0]
			}
			if tc.wantQuery == nil {
				tc.wantQuery = map[string]string{}
			}
			assert.Equal(t, tc.wantQuery, q)
			if tc.wantBody == "" {
				assert.Empty(t, r.Body)
			} else {
				assert.Equal(t, "application/json", r.Header.Get("Content-Type"))
				jsonEq(t, tc.wantBody, r.Body)
			}
			if tc.check != nil {
				tc.check(t, got)
			}
		})
	}
}

// splitPattern turns "POST /contacts/{$}" into POST and /contacts/.
func splitPattern(p string) (string, string) {
	var m, path string
	_, _ = fmt.Sscanf(p, "%s %s", &m, &path)
	if n := len(path); n >= 3 && path[n-3:] == "{$}" {
		path = path[:n-3]
	}
	for i := range len(path) {
		if path[i] == '{' {
			return m, "" // a wildcard route: the test checks the path itself
		}
	}
	return m, path
}

const contactJSON = `{"id":"c1","locationId":"loc-test-1","firstName":"Rosan","lastName":"Deo","email":"rosan@deos.com",
 "phone":"+18832327657","tags":["a","b"],"dnd":true,"dateAdded":"2021-07-02T05:18:26.704Z","dateOfBirth":"1990-09-25",
 "customFields":[{"id":"f1","value":"PBN-1"},{"id":"f2","value":12.5},{"id":"f3","value":["x","y"]}],"businessId":"b1"}`

func TestContactsOperations(t *testing.T) {
	dob := "1990-09-25"
	runOpCases(t, []opCase{
		{
			name: "create", pattern: "POST /contacts/{$}", status: 201,
			response: `{"contact":` + contactJSON + `}`,
			call: func(ctx context.Context, c *Client) (any, error) {
				return c.Contacts.Create(ctx, ContactInput{
					FirstName: "Rosan", LastName: "Deo", Email: "rosan@deos.com", Phone: "+18832327657",
					DateOfBirth: dob, Tags: []string{"a"}, DND: Ptr(false), Country: "US",
					CustomFields: []CustomFieldInput{
						{ID: "f1", Value: TextValue("PBN-1")},
						{ID: "f2", Value: MoneyValue(1250)},
						{ID: "f3", Value: OptionsValue("x", "y")},
					},
				})
			},
			wantBody: `{"locationId":"loc-test-1","firstName":"Rosan","lastName":"Deo","email":"rosan@deos.com","phone":"+18832327657",
				"dateOfBirth":"1990-09-25","tags":["a"],"dnd":false,"country":"US",
				"customFields":[{"id":"f1","field_value":"PBN-1"},{"id":"f2","field_value":12.5},{"id":"f3","field_value":["x","y"]}]}`,
			check: func(t *testing.T, got any) {
				c := got.(*Contact)
				assert.Equal(t, "c1", c.ID)
				assert.Equal(t, []string{"a", "b"}, c.Tags)
				assert.True(t, c.DND)
				assert.Equal(t, time.Date(2021, 7, 2, 5, 18, 26, 704e6, time.UTC), c.DateAdded.Time)
				f, ok := c.CustomField("f2")
				require.True(t, ok)
				n, ok := f.Number()
				assert.True(t, ok)
				assert.Equal(t, 12.5, n)
				f3, _ := c.CustomField("f3")
				ss, _ := f3.Strings()
				assert.Equal(t, []string{"x", "y"}, ss)
			},
		},
		{
			name: "upsert created", pattern: "POST /contacts/upsert", status: 200,
			response: `{"new":true,"contact":` + contactJSON + `,"traceId":"tr-1"}`,
			call: func(ctx context.Context, c *Client) (any, error) {
				return c.Contacts.Upsert(ctx, ContactInput{Email: "rosan@deos.com"})
			},
			wantBody: `{"locationId":"loc-test-1","email":"rosan@deos.com"}`,
			check: func(t *testing.T, got any) {
				r := got.(*UpsertResult)
				assert.True(t, r.Created)
				assert.Equal(t, "c1", r.Contact.ID)
				assert.Equal(t, "tr-1", r.TraceID)
			},
		},
		{
			name: "upsert updated", pattern: "POST /contacts/upsert", status: 200,
			response: `{"new":false,"contact":` + contactJSON + `}`,
			call: func(ctx context.Context, c *Client) (any, error) {
				return c.Contacts.Upsert(ctx, ContactInput{Phone: "+18832327657"})
			},
			wantBody: `{"locationId":"loc-test-1","phone":"+18832327657"}`,
			check:    func(t *testing.T, got any) { assert.False(t, got.(*UpsertResult).Created) },
		},
		{
			name: "get", pattern: "GET /contacts/c1", status: 200, response: `{"contact":` + contactJSON + `}`,
			call: func(ctx context.Context, c *Client) (any, error) { return c.Contacts.Get(ctx, "c1") },
			check: func(t *testing.T, got any) {
				assert.Equal(t, "Rosan", got.(*Contact).FirstName)
				assert.Equal(t, "b1", got.(*Contact).BusinessID)
			},
		},
		{
			name: "update has no locationId", pattern: "PUT /contacts/c1", status: 200,
			response: `{"succeded":true,"contact":` + contactJSON + `}`,
			call: func(ctx context.Context, c *Client) (any, error) {
				return c.Contacts.Update(ctx, "c1", ContactUpdate{FirstName: Ptr("Rosan"), LastName: Ptr(""),
					CustomFields: []CustomFieldInput{{ID: "f2", Value: NumberValue(3)}}})
			},
			wantBody: `{"firstName":"Rosan","lastName":"","customFields":[{"id":"f2","field_value":3}]}`,
			check:    func(t *testing.T, got any) { assert.Equal(t, "c1", got.(*Contact).ID) },
		},
		{
			name: "delete", pattern: "DELETE /contacts/c1", status: 200, response: `{"succeded":true}`,
			call: func(ctx context.Context, c *Client) (any, error) { return nil, c.Contacts.Delete(ctx, "c1") },
		},
		{
			name: "find duplicate by email and phone", pattern: "GET /contacts/search/duplicate", status: 200,
			response: `{"contact":` + contactJSON + `}`,
			call: func(ctx context.Context, c *Client) (any, error) {
				return c.Contacts.FindDuplicate(ctx, "a+b@x.io", "+14231645160")
			},
			wantQuery: map[string]string{"locationId": testLocation, "email": "a+b@x.io", "number": "+14231645160"},
			check:     func(t *testing.T, got any) { assert.Equal(t, "c1", got.(*Contact).ID) },
		},
		{
			name: "find duplicate none", pattern: "GET /contacts/search/duplicate", status: 200, response: `{"contact":null}`,
			call: func(ctx context.Context, c *Client) (any, error) {
				return c.Contacts.FindDuplicate(ctx, "a@x.io", "")
			},
			wantQuery: map[string]string{"locationId": testLocation, "email": "a@x.io"},
			check:     func(t *testing.T, got any) { assert.Nil(t, got.(*Contact)) },
		},
		{
			name: "add tags", pattern: "POST /contacts/c1/tags", status: 201, response: `{"tags":["a","b","c"]}`,
			call: func(ctx context.Context, c *Client) (any, error) {
				return c.Contacts.AddTags(ctx, "c1", "b", "c")
			},
			wantBody: `{"tags":["b","c"]}`,
			check:    func(t *testing.T, got any) { assert.Equal(t, []string{"a", "b", "c"}, got) },
		},
		{
			name: "remove tags", pattern: "DELETE /contacts/c1/tags", status: 200, response: `{"tags":["a"]}`,
			call: func(ctx context.Context, c *Client) (any, error) {
				return c.Contacts.RemoveTags(ctx, "c1", "b")
			},
			wantBody: `{"tags":["b"]}`,
			check:    func(t *testing.T, got any) { assert.Equal(t, []string{"a"}, got) },
		},
		{
			name: "bulk add tags", pattern: "POST /contacts/bulk/tags/update/add", status: 201,
			response: `{"succeded":true,"errorCount":0,"responses":[{"contactId":"c1","message":"Tags updated"}]}`,
			call: func(ctx context.Context, c *Client) (any, error) {
				return c.Contacts.BulkAddTags(ctx, []string{"c1", "c2"}, []string{"t"})
			},
			wantBody: `{"contacts":["c1","c2"],"tags":["t"],"locationId":"loc-test-1"}`,
			check: func(t *testing.T, got any) {
				r := got.(*BulkTagsResult)
				assert.True(t, r.Succeeded)
				assert.Len(t, r.Responses, 1)
			},
		},
		{
			name: "bulk remove all tags", pattern: "POST /contacts/bulk/tags/update/remove", status: 201,
			response: `{"succeded":true,"errorCount":1,"responses":[]}`,
			call: func(ctx context.Context, c *Client) (any, error) {
				return c.Contacts.BulkRemoveTags(ctx, []string{"c1"}, nil, true)
			},
			wantBody: `{"contacts":["c1"],"tags":[],"locationId":"loc-test-1","removeAllTags":true}`,
			check:    func(t *testing.T, got any) { assert.Equal(t, 1, got.(*BulkTagsResult).ErrorCount) },
		},
		{
			name: "create note", pattern: "POST /contacts/c1/notes", status: 201,
			response: `{"note":{"id":"n1","body":"hello","userId":"u1","dateAdded":"2021-07-08T12:02:11.285Z","contactId":"c1"}}`,
			call: func(ctx context.Context, c *Client) (any, error) {
				return c.Contacts.CreateNote(ctx, "c1", NoteInput{Body: "hello", UserID: "u1"})
			},
			wantBody: `{"body":"hello","userId":"u1"}`,
			check: func(t *testing.T, got any) {
				n := got.(*Note)
				assert.Equal(t, "n1", n.ID)
				assert.Equal(t, 2021, n.DateAdded.Year())
			},
		},
		{
			name: "list notes", pattern: "GET /contacts/c1/notes", status: 200,
			response: `{"notes":[{"id":"n1","body":"a"},{"id":"n2","body":"b"}]}`,
			call:     func(ctx context.Context, c *Client) (any, error) { return c.Contacts.ListNotes(ctx, "c1") },
			check:    func(t *testing.T, got any) { assert.Len(t, got.([]*Note), 2) },
		},
		{
			name: "delete note", pattern: "DELETE /contacts/c1/notes/n1", status: 200, response: `{"succeded":true}`,
			call: func(ctx context.Context, c *Client) (any, error) { return nil, c.Contacts.DeleteNote(ctx, "c1", "n1") },
		},
		{
			name: "get note", pattern: "GET /contacts/c1/notes/n1", status: 200,
			response: `{"note":{"id":"n1","body":"hello","title":"Recall","color":"#FFAA00","pinned":true,"dateAdded":"2021-07-08T12:02:11.285Z","contactId":"c1"}}`,
			call:     func(ctx context.Context, c *Client) (any, error) { return c.Contacts.GetNote(ctx, "c1", "n1") },
			check: func(t *testing.T, got any) {
				n := got.(*Note)
				assert.Equal(t, Note{ID: "n1", Body: "hello", Title: "Recall", Color: "#FFAA00", Pinned: true, ContactID: "c1",
					DateAdded: n.DateAdded}, *n)
				assert.Equal(t, time.Date(2021, 7, 8, 12, 2, 11, 285e6, time.UTC), n.DateAdded.Time)
			},
		},
		{
			name: "update note", pattern: "PUT /contacts/c1/notes/n1", status: 200,
			response: `{"note":{"id":"n1","body":"changed","userId":"u1","dateAdded":"2021-07-08T12:02:11.285Z","contactId":"c1"}}`,
			call: func(ctx context.Context, c *Client) (any, error) {
				return c.Contacts.UpdateNote(ctx, "c1", "n1", NoteInput{Body: "changed", UserID: "u1", Pinned: Ptr(false)})
			},
			wantBody: `{"body":"changed","userId":"u1","pinned":false}`,
			check: func(t *testing.T, got any) {
				assert.Equal(t, "n1", got.(*Note).ID)
				assert.Equal(t, "changed", got.(*Note).Body)
			},
		},
		{
			name: "update note without optional fields", pattern: "PUT /contacts/c1/notes/n1", status: 200,
			response: `{"note":{"id":"n1","body":"b"}}`,
			call: func(ctx context.Context, c *Client) (any, error) {
				return c.Contacts.UpdateNote(ctx, "c1", "n1", NoteInput{Body: "b"})
			},
			wantBody: `{"body":"b"}`,
		},
		{
			name: "get task", pattern: "GET /contacts/c1/tasks/t1", status: 200,
			response: `{"task":{"id":"t1","title":"Recall","body":"x","assignedTo":"u1","dueDate":"2021-07-08T02:30:00.000Z","completed":true,"contactId":"c1"}}`,
			call:     func(ctx context.Context, c *Client) (any, error) { return c.Contacts.GetTask(ctx, "c1", "t1") },
			check: func(t *testing.T, got any) {
				tk := got.(*Task)
				assert.Equal(t, "Recall", tk.Title)
				assert.True(t, tk.Completed)
				assert.Equal(t, time.Date(2021, 7, 8, 2, 30, 0, 0, time.UTC), tk.DueDate.Time)
			},
		},
		{
			name: "update task sends the whole task", pattern: "PUT /contacts/c1/tasks/t1", status: 200,
			response: `{"task":{"id":"t1","title":"Recall","dueDate":"2020-10-25T11:00:00Z","completed":true}}`,
			call: func(ctx context.Context, c *Client) (any, error) {
				return c.Contacts.UpdateTask(ctx, "c1", "t1", TaskInput{Title: "Recall", Completed: true,
					DueDate: time.Date(2020, 10, 25, 6, 0, 0, 0, time.FixedZone("EST", -5*3600))})
			},
			// body "" clears it; assignedTo is omitted when empty.
			wantBody: `{"title":"Recall","body":"","dueDate":"2020-10-25T11:00:00Z","completed":true}`,
			check:    func(t *testing.T, got any) { assert.True(t, got.(*Task).Completed) },
		},
		{
			name: "create task", pattern: "POST /contacts/c1/tasks", status: 201,
			response: `{"task":{"id":"t1","title":"Recall","dueDate":"2020-10-25T11:00:00Z","completed":false}}`,
			call: func(ctx context.Context, c *Client) (any, error) {
				return c.Contacts.CreateTask(ctx, "c1", TaskInput{Title: "Recall", Body: "6 months",
					DueDate: time.Date(2020, 10, 25, 6, 0, 0, 0, time.FixedZone("EST", -5*3600)), AssignedTo: "u1"})
			},
			wantBody: `{"title":"Recall","body":"6 months","dueDate":"2020-10-25T11:00:00Z","completed":false,"assignedTo":"u1"}`,
			check: func(t *testing.T, got any) {
				assert.Equal(t, "t1", got.(*Task).ID)
				assert.Equal(t, time.Date(2020, 10, 25, 11, 0, 0, 0, time.UTC), got.(*Task).DueDate.Time)
			},
		},
		{
			name: "list tasks", pattern: "GET /contacts/c1/tasks", status: 200,
			response: `{"tasks":[{"id":"t1","title":"a","dueDate":"2020-10-25T11:00:00Z","completed":true}]}`,
			call:     func(ctx context.Context, c *Client) (any, error) { return c.Contacts.ListTasks(ctx, "c1") },
			check:    func(t *testing.T, got any) { assert.True(t, got.([]*Task)[0].Completed) },
		},
		{
			name: "delete task", pattern: "DELETE /contacts/c1/tasks/t1", status: 200, response: `{"succeded":true}`,
			call: func(ctx context.Context, c *Client) (any, error) { return nil, c.Contacts.DeleteTask(ctx, "c1", "t1") },
		},
		{
			name: "search page", pattern: "POST /contacts/search", status: 200,
			response: `{"contacts":[` + contactJSON + `],"total":1}`,
			call: func(ctx context.Context, c *Client) (any, error) {
				return c.Contacts.SearchPage(ctx, ContactSearch{
					Filters:   []SearchFilter{{Field: "customFields.f1", Operator: "eq", Value: "PBN-1"}},
					Sort:      []SearchSort{{Field: "dateAdded", Direction: "asc"}},
					PageLimit: 50,
				}, SearchCursor{Page: 2})
			},
			wantBody: `{"locationId":"loc-test-1","page":2,"pageLimit":50,
				"filters":[{"field":"customFields.f1","operator":"eq","value":"PBN-1"}],"sort":[{"field":"dateAdded","direction":"asc"}]}`,
			check: func(t *testing.T, got any) { assert.Equal(t, 1, got.(*ContactPage).Total) },
		},
	})
}

func TestContactsRejectBadInputBeforeSending(t *testing.T) {
	ts := newTestServer(t)
	ctx := context.Background()
	c := ts.client.Contacts
	_, err := c.Get(ctx, "")
	assert.Error(t, err)
	_, err = c.Update(ctx, "", ContactUpdate{})
	assert.Error(t, err)
	assert.Error(t, c.Delete(ctx, ""))
	_, err = c.FindDuplicate(ctx, "", "")
	assert.Error(t, err)
	_, err = c.AddTags(ctx, "c1")
	assert.Error(t, err)
	_, err = c.BulkAddTags(ctx, nil, []string{"x"})
	assert.Error(t, err)
	_, err = c.CreateNote(ctx, "c1", NoteInput{})
	assert.Error(t, err)
	_, err = c.CreateTask(ctx, "c1", TaskInput{Title: "x"})
	assert.Error(t, err)
	assert.Error(t, c.DeleteNote(ctx, "c1", ""))
	_, err = c.GetNote(ctx, "", "n1")
	assert.Error(t, err)
	_, err = c.UpdateNote(ctx, "c1", "", NoteInput{Body: "x"})
	assert.Error(t, err)
	_, err = c.UpdateNote(ctx, "c1", "n1", NoteInput{})
	assert.Error(t, err)
	_, err = c.GetTask(ctx, "c1", "")
	assert.Error(t, err)
	_, err = c.UpdateTask(ctx, "c1", "t1", TaskInput{Title: "x"})
	assert.Error(t, err)
	_, err = c.UpdateTask(ctx, "", "t1", TaskInput{Title: "x", DueDate: time.Now()})
	assert.Error(t, err)
	assert.Error(t, c.DeleteTask(ctx, "", "t"))
	_, err = c.SearchPage(ctx, ContactSearch{PageLimit: 501}, SearchCursor{})
	assert.Error(t, err)
	_, err = c.SearchPage(ctx, ContactSearch{PageLimit: 100}, SearchCursor{Page: 101})
	assert.Error(t, err)
	assert.Empty(t, ts.requests())
}

func TestContactIDIsPathEscaped(t *testing.T) {
	ts := newTestServer(t)
	ts.handle("GET /contacts/{id}", func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, 200, `{"contact":{"id":"x"}}`)
	})
	_, err := ts.client.Contacts.Get(context.Background(), "a?b#c d")
	require.NoError(t, err)
	assert.Equal(t, "/contacts/a%3Fb%23c%20d", ts.last().RawPath)
}

// searchServer serves total contacts sorted by index, honouring page,
// pageLimit and searchAfter like HighLevel (page*pageLimit ≤ 10,000).
func searchServer(t *testing.T, ts *testServer, total int) {
	searchServerReporting(t, ts, total, total)
}

// searchServerReporting is searchServer with the total the server reports,
// which HighLevel may cap at 10,000.
func searchServerReporting(t *testing.T, ts *testServer, total, reported int) {
	ts.handle("POST /contacts/search", func(w http.ResponseWriter, r *http.Request) {
		var body struct {
			Page        int               `json:"page"`
			PageLimit   int               `json:"pageLimit"`
			SearchAfter []json.RawMessage `json:"searchAfter"`
		}
		require.NoError(t, json.NewDecoder(r.Body).Decode(&body))
		start := 0
		switch {
		case len(body.SearchAfter) == 2:
			n, err := strconv.Atoi(string(body.SearchAfter[0]))
			require.NoError(t, err)
			start = n + 1
		case body.Page*body.PageLimit > MaxSearchWindow:
			writeJSON(w, 400, `{"statusCode":400,"message":"page * pageLimit must not exceed 10000"}`)
			return
		default:
			start = (body.Page - 1) * body.PageLimit
		}
		var out []map[string]any
		for i := start; i < min(start+body.PageLimit, total); i++ {
			out = append(out, map[string]any{"id": fmt.Sprintf("c%05d", i), "searchAfter": []any{i, fmt.Sprintf("c%05d", i)}})
		}
		b, _ := json.Marshal(map[string]any{"contacts": out, "total": reported})
		writeJSON(w, 200, string(b))
	})
}

func TestSearchIteratesPastTheWindowWithSearchAfter(t *testing.T) {
	ts := newTestServer(t)
	const total = 10_450
	searchServer(t, ts, total)
	n := 0
	for c, err := range ts.client.Contacts.Search(context.Background(), ContactSearch{PageLimit: 500}) {
		require.NoError(t, err)
		require.Equal(t, fmt.Sprintf("c%05d", n), c.ID)
		n++
	}
	assert.Equal(t, total, n)
	reqs := ts.requests()
	assert.Len(t, reqs, 21) // 20 pages of 500 reach 10,000; then one searchAfter page
	var last map[string]any
	require.NoError(t, json.Unmarshal(reqs[20].Body, &last))
	assert.NotContains(t, last, "page")
	assert.Equal(t, []any{9999.0, "c09999"}, last["searchAfter"])
}

// A total capped at the page window must not end the search where searchAfter
// should take over.
func TestSearchIgnoresACappedTotal(t *testing.T) {
	ts := newTestServer(t)
	const total = 10_150
	searchServerReporting(t, ts, total, MaxSearchWindow)
	n := 0
	for _, err := range ts.client.Contacts.Search(context.Background(), ContactSearch{PageLimit: 500}) {
		require.NoError(t, err)
		n++
	}
	assert.Equal(t, total, n)
}

func TestSearchStopsWhenConsumerStops(t *testing.T) {
	ts := newTestServer(t)
	searchServer(t, ts, 1000)
	n := 0
	for _, err := range ts.client.Contacts.Search(context.Background(), ContactSearch{PageLimit: 10}) {
		require.NoError(t, err)
		n++
		if n == 15 {
			break
		}
	}
	assert.Len(t, ts.requests(), 2)
}

func TestSearchYieldsErrors(t *testing.T) {
	ts := newTestServer(t)
	ts.handle("POST /contacts/search", func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, 422, `{"statusCode":422,"message":["filters.0.operator must be one of the following values"],"error":"Unprocessable Entity"}`)
	})
	var errs []error
	for c, err := range ts.client.Contacts.Search(context.Background(), ContactSearch{}) {
		assert.Nil(t, c)
		errs = append(errs, err)
	}
	require.Len(t, errs, 1)
	assert.ErrorIs(t, errs[0], ErrValidation)
}

func TestCount(t *testing.T) {
	ts := newTestServer(t)
	searchServer(t, ts, 1234)
	n, err := ts.client.Contacts.Count(context.Background(), ContactSearch{})
	require.NoError(t, err)
	assert.Equal(t, 1234, n)
	jsonEq(t, `{"locationId":"loc-test-1","page":1,"pageLimit":1}`, ts.last().Body)
}

// TestNoteAndTaskUpdatesAgainstSimulator: updates keep the note's and the
// task's id, the simulator's strict DTOs accept the bodies, and unknown ids
// match ErrNotFound.
func TestNoteAndTaskUpdatesAgainstSimulator(t *testing.T) {
	sim := hltest.NewServer(hltest.Options{Users: []hltest.User{{ID: "u-note", Email: "n@example.com", FirstName: "N", LastName: "O"}},
		RateLimit: hltest.RateLimit{Max: 100_000, Window: time.Second}})
	t.Cleanup(sim.Close)
	c, err := NewClient(Options{BaseURL: sim.URL, LocationID: hltest.DefaultLocationID, Auth: StaticToken(hltest.DefaultToken)})
	require.NoError(t, err)
	ctx := context.Background()
	ct, err := c.Contacts.Create(ctx, ContactInput{FirstName: "Ana", Email: "ana@example.com"})
	require.NoError(t, err)

	n, err := c.Contacts.CreateNote(ctx, ct.ID, NoteInput{Body: "2019-04-02: consult", Title: "Visit"})
	require.NoError(t, err)
	up, err := c.Contacts.UpdateNote(ctx, ct.ID, n.ID, NoteInput{Body: "2019-04-02: implant consult", UserID: "u-note", Color: "#FFAA00", Pinned: Ptr(true)})
	require.NoError(t, err)
	assert.Equal(t, n.ID, up.ID)
	got, err := c.Contacts.GetNote(ctx, ct.ID, n.ID)
	require.NoError(t, err)
	assert.Equal(t, "2019-04-02: implant consult", got.Body)
	assert.Equal(t, "Visit", got.Title, "an empty optional field is left as it was")
	assert.Equal(t, "u-note", got.UserID)
	assert.Equal(t, "#FFAA00", got.Color)
	assert.True(t, got.Pinned)
	assert.Equal(t, n.DateAdded.Time, got.DateAdded.Time, "same note, same date")
	_, err = c.Contacts.UpdateNote(ctx, ct.ID, "no-such-note", NoteInput{Body: "x"})
	assert.ErrorIs(t, err, ErrNotFound)
	_, err = c.Contacts.GetNote(ctx, ct.ID, "no-such-note")
	assert.ErrorIs(t, err, ErrNotFound)

	due := time.Date(2027, 1, 2, 15, 0, 0, 0, time.UTC)
	tk, err := c.Contacts.CreateTask(ctx, ct.ID, TaskInput{Title: "Recall", Body: "6 months", DueDate: due, AssignedTo: "u-note"})
	require.NoError(t, err)
	ut, err := c.Contacts.UpdateTask(ctx, ct.ID, tk.ID, TaskInput{Title: "Recall call", DueDate: due.Add(48 * time.Hour), Completed: true})
	require.NoError(t, err)
	assert.Equal(t, tk.ID, ut.ID)
	gt, err := c.Contacts.GetTask(ctx, ct.ID, tk.ID)
	require.NoError(t, err)
	assert.Equal(t, "Recall call", gt.Title)
	assert.Empty(t, gt.Body, "the update sends the whole task: an empty body clears it")
	assert.Equal(t, "u-note", gt.AssignedTo, "an empty assignee is not sent")
	assert.True(t, gt.Completed)
	assert.Equal(t, due.Add(48*time.Hour), gt.DueDate.Time)
	_, err = c.Contacts.GetTask(ctx, ct.ID, "no-such-task")
	assert.ErrorIs(t, err, ErrNotFound)
	notes, err := c.Contacts.ListNotes(ctx, ct.ID)
	require.NoError(t, err)
	assert.Len(t, notes, 1, "an update creates nothing")
}
