package highlevel

import (
	"context"
	"encoding/json"
	"net/http"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestBodyIsWhatTheServiceSends: for every input a migration journals, the
// bytes of Body (or of MarshalJSON, for the inputs with a Body field) are
// the bytes its service puts on the wire — after the "locationId" a create
// puts first. Values with characters an encoder may escape differently
// (<, &, non-ASCII, a quote) are included.
func TestBodyIsWhatTheServiceSends(t *testing.T) {
	odd := `Zoë <O'Brien> & "Sons"`
	loc := `{"locationId":"` + testLocation + `",`
	due := time.Date(2026, 5, 4, 9, 30, 0, 0, time.FixedZone("x", 3600))
	for _, tc := range []struct {
		name, pattern, response string
		located                 bool // a create: the location comes first
		body                    func() ([]byte, error)
		call                    func(context.Context, *Client) error
	}{
		{name: "contact create", pattern: "POST /contacts/{$}", response: `{"contact":` + contactJSON + `}`, located: true,
			body: ContactInput{FirstName: odd, LastName: "Deo", Tags: []string{odd}, DND: Ptr(false),
				CustomFields: []CustomFieldInput{{ID: "f1", Value: TextValue(odd)}, {ID: "f2", Value: MoneyValue(1250)}}}.Body,
			call: func(ctx context.Context, c *Client) error {
				_, err := c.Contacts.Create(ctx, ContactInput{FirstName: odd, LastName: "Deo", Tags: []string{odd}, DND: Ptr(false),
					CustomFields: []CustomFieldInput{{ID: "f1", Value: TextValue(odd)}, {ID: "f2", Value: MoneyValue(1250)}}})
				return err
			}},
		{name: "contact upsert", pattern: "POST /contacts/upsert", response: `{"new":true,"contact":` + contactJSON + `}`, located: true,
			body: ContactInput{Email: "rosan@deos.com", LastName: odd}.Body,
			call: func(ctx context.Context, c *Client) error {
				_, err := c.Contacts.Upsert(ctx, ContactInput{Email: "rosan@deos.com", LastName: odd})
				return err
			}},
		{name: "contact update", pattern: "PUT /contacts/c1", response: `{"succeded":true,"contact":` + contactJSON + `}`,
			body: ContactUpdate{LastName: Ptr(odd), Email: Ptr(""), CustomFields: []CustomFieldInput{{ID: "f1", Value: TextValue("")}}}.Body,
			call: func(ctx context.Context, c *Client) error {
				_, err := c.Contacts.Update(ctx, "c1", ContactUpdate{LastName: Ptr(odd), Email: Ptr(""), CustomFields: []CustomFieldInput{{ID: "f1", Value: TextValue("")}}})
				return err
			}},
		{name: "business create", pattern: "POST /businesses/{$}", response: `{"success":true,"buiseness":` + businessJSON + `}`, located: true,
			body: BusinessInput{Name: odd, Description: odd + "\n[pbnhl:x]"}.Body,
			call: func(ctx context.Context, c *Client) error {
				_, err := c.Businesses.Create(ctx, BusinessInput{Name: odd, Description: odd + "\n[pbnhl:x]"})
				return err
			}},
		{name: "business update", pattern: "PUT /businesses/b1", response: `{"success":true,"buiseness":` + businessJSON + `}`,
			body: BusinessUpdate{Name: Ptr(odd), Phone: Ptr("")}.Body,
			call: func(ctx context.Context, c *Client) error {
				_, err := c.Businesses.Update(ctx, "b1", BusinessUpdate{Name: Ptr(odd), Phone: Ptr("")})
				return err
			}},
		{name: "note create", pattern: "POST /contacts/c1/notes",
			response: `{"note":{"id":"n1","body":"hello","dateAdded":"2021-07-08T12:02:11.285Z","contactId":"c1"}}`,
			body:     func() ([]byte, error) { return json.Marshal(NoteInput{Body: odd, UserID: "u1"}) },
			call: func(ctx context.Context, c *Client) error {
				_, err := c.Contacts.CreateNote(ctx, "c1", NoteInput{Body: odd, UserID: "u1"})
				return err
			}},
		{name: "note update", pattern: "PUT /contacts/c1/notes/n1",
			response: `{"note":{"id":"n1","body":"hello","dateAdded":"2021-07-08T12:02:11.285Z","contactId":"c1"}}`,
			body:     func() ([]byte, error) { return json.Marshal(NoteInput{Body: odd}) },
			call: func(ctx context.Context, c *Client) error {
				_, err := c.Contacts.UpdateNote(ctx, "c1", "n1", NoteInput{Body: odd})
				return err
			}},
		{name: "task create", pattern: "POST /contacts/c1/tasks",
			response: `{"task":{"id":"t1","title":"x","body":"y","contactId":"c1","dueDate":"2026-05-04T08:30:00.000Z","completed":false}}`,
			body:     func() ([]byte, error) { return json.Marshal(TaskInput{Title: odd, Body: odd, DueDate: due}) },
			call: func(ctx context.Context, c *Client) error {
				_, err := c.Contacts.CreateTask(ctx, "c1", TaskInput{Title: odd, Body: odd, DueDate: due})
				return err
			}},
		{name: "relation create", pattern: "POST /associations/relations", response: relationJSON, located: true,
			body: RelationInput{AssociationID: "a1", FirstRecordID: "c1", SecondRecordID: "r1"}.Body,
			call: func(ctx context.Context, c *Client) error {
				_, err := c.Associations.CreateRelation(ctx, RelationInput{AssociationID: "a1", FirstRecordID: "c1", SecondRecordID: "r1"})
				return err
			}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ts := newTestServer(t)
			ts.handle(tc.pattern, func(w http.ResponseWriter, _ *http.Request) { writeJSON(w, http.StatusOK, tc.response) })
			require.NoError(t, tc.call(context.Background(), ts.client))
			want, err := tc.body()
			require.NoError(t, err)
			got := string(ts.last().Body)
			if tc.located {
				require.Greater(t, len(want), 2)
				assert.Equal(t, loc+string(want[1:]), got)
			} else {
				assert.Equal(t, string(want), got)
			}
		})
	}
}
