package highlevel

import (
	"context"
	"net/http"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestServicesRetryMatrix checks, for every operation of the custom field,
// object, association, opportunity, pipeline, user and media services, what
// a 503 followed by success does: reads, updates, deletes and searches are
// retried and succeed; creates are not retried and report an unknown
// outcome (the record may exist).
func TestServicesRetryMatrix(t *testing.T) {
	ctx := context.Background()
	type opRun struct {
		name, pattern, ok string
		create            bool
		run               func(c *Client) error
	}
	drain := func(seq func(func(*Opportunity, error) bool)) error {
		for _, err := range seq {
			if err != nil {
				return err
			}
		}
		return nil
	}
	ops := []opRun{
		{name: "customFields.list", pattern: "GET /locations/{loc}/customFields", ok: `{"customFields":[]}`,
			run: func(c *Client) error { _, err := c.CustomFields.List(ctx, FieldModelAll); return err }},
		{name: "customFields.get", pattern: "GET /locations/{loc}/customFields/{id}", ok: `{"customField":` + locationFieldJSON + `}`,
			run: func(c *Client) error { _, err := c.CustomFields.Get(ctx, "f1"); return err }},
		{name: "customFields.create", pattern: "POST /locations/{loc}/customFields", create: true,
			run: func(c *Client) error {
				_, err := c.CustomFields.Create(ctx, CustomFieldCreate{Name: "x", DataType: DataTypeText})
				return err
			}},
		{name: "customFields.update", pattern: "PUT /locations/{loc}/customFields/{id}", ok: `{"customField":` + locationFieldJSON + `}`,
			run: func(c *Client) error {
				_, err := c.CustomFields.Update(ctx, "f1", CustomFieldUpdate{Name: "x"})
				return err
			}},
		{name: "customFields.delete", pattern: "DELETE /locations/{loc}/customFields/{id}", ok: `{"succeded":true}`,
			run: func(c *Client) error { return c.CustomFields.Delete(ctx, "f1") }},
		{name: "customFields.v2.create", pattern: "POST /custom-fields/{$}", create: true,
			run: func(c *Client) error {
				_, err := c.CustomFields.CreateObjectField(ctx, ObjectFieldCreate{ObjectKey: "business", FieldKey: "business.x", DataType: DataTypeText, ParentID: "p"})
				return err
			}},
		{name: "customFields.v2.list", pattern: "GET /custom-fields/object-key/{key}", ok: `{"fields":[],"folders":[]}`,
			run: func(c *Client) error { _, err := c.CustomFields.ListObjectFields(ctx, "business"); return err }},
		{name: "customFields.v2.update", pattern: "PUT /custom-fields/{id}", ok: `{"field":` + objectFieldJSON + `}`,
			run: func(c *Client) error {
				_, err := c.CustomFields.UpdateObjectField(ctx, "of1", ObjectFieldUpdate{})
				return err
			}},
		{name: "customFields.v2.folders.create", pattern: "POST /custom-fields/folder", create: true,
			run: func(c *Client) error { _, err := c.CustomFields.CreateFolder(ctx, "business", "x"); return err }},
		{name: "objects.create", pattern: "POST /objects/{$}", create: true,
			run: func(c *Client) error {
				_, err := c.Objects.CreateSchema(ctx, ObjectSchemaCreate{Key: "custom_objects.x", Labels: ObjectLabels{"a", "b"},
					PrimaryDisplayProperty: DisplayProperty{"name", "Name", DataTypeText}})
				return err
			}},
		{name: "objects.get", pattern: "GET /objects/{key}", ok: `{"object":` + schemaJSON + `,"cache":true}`,
			run: func(c *Client) error { _, err := c.Objects.GetSchema(ctx, "custom_objects.xray"); return err }},
		{name: "objects.records.create", pattern: "POST /objects/{key}/records", create: true,
			run: func(c *Client) error {
				_, err := c.Objects.CreateRecord(ctx, "custom_objects.xray", RecordInput{Properties: map[string]FieldValue{"name": TextValue("a")}})
				return err
			}},
		{name: "objects.records.update", pattern: "PUT /objects/{key}/records/{id}", ok: `{"record":` + recordJSON + `}`,
			run: func(c *Client) error {
				_, err := c.Objects.UpdateRecord(ctx, "custom_objects.xray", "r1", RecordUpdate{})
				return err
			}},
		{name: "objects.records.delete", pattern: "DELETE /objects/{key}/records/{id}", ok: `{"id":"r1","success":true}`,
			run: func(c *Client) error { return c.Objects.DeleteRecord(ctx, "custom_objects.xray", "r1") }},
		{name: "objects.records.search (a POST that only reads)", pattern: "POST /objects/{key}/records/search", ok: `{"records":[],"total":0}`,
			run: func(c *Client) error {
				_, err := c.Objects.SearchRecordsPage(ctx, "custom_objects.xray", RecordSearch{}, SearchCursor{})
				return err
			}},
		{name: "associations.create", pattern: "POST /associations/{$}", create: true,
			run: func(c *Client) error {
				_, err := c.Associations.Create(ctx, AssociationInput{"k", "contact", "a", "business", "b"})
				return err
			}},
		{name: "associations.getByKey", pattern: "GET /associations/key/{key}", ok: associationJSON,
			run: func(c *Client) error { _, err := c.Associations.GetByKey(ctx, "k"); return err }},
		{name: "associations.relations.create", pattern: "POST /associations/relations", create: true,
			run: func(c *Client) error {
				_, err := c.Associations.CreateRelation(ctx, RelationInput{"a1", "c1", "r1"})
				return err
			}},
		{name: "associations.relations.delete", pattern: "DELETE /associations/relations/{id}", ok: relationJSON,
			run: func(c *Client) error { return c.Associations.DeleteRelation(ctx, "rel1") }},
		{name: "opportunities.create", pattern: "POST /opportunities/{$}", create: true,
			run: func(c *Client) error {
				_, err := c.Opportunities.Create(ctx, OpportunityInput{PipelineID: "p", Name: "n", ContactID: "c"})
				return err
			}},
		{name: "opportunities.upsert", pattern: "POST /opportunities/upsert", create: true,
			run: func(c *Client) error {
				_, err := c.Opportunities.Upsert(ctx, OpportunityUpsert{PipelineID: "p", ContactID: "c"})
				return err
			}},
		{name: "opportunities.update", pattern: "PUT /opportunities/{id}", ok: `{"opportunity":` + opportunityJSON + `}`,
			run: func(c *Client) error {
				_, err := c.Opportunities.Update(ctx, "o1", OpportunityUpdate{Name: Ptr("n")})
				return err
			}},
		{name: "opportunities.updateStatus", pattern: "PUT /opportunities/{id}/status", ok: `{"succeded":true}`,
			run: func(c *Client) error { return c.Opportunities.UpdateStatus(ctx, "o1", StatusWon, "") }},
		{name: "opportunities.search", pattern: "GET /opportunities/search", ok: `{"opportunities":[],"meta":{"total":0}}`,
			run: func(c *Client) error { return drain(c.Opportunities.Search(ctx, OpportunitySearch{})) }},
		{name: "pipelines.create", pattern: "POST /opportunities/pipelines", create: true,
			run: func(c *Client) error {
				_, err := c.Pipelines.Create(ctx, PipelineInput{Name: "P", Stages: []string{"a"}})
				return err
			}},
		{name: "pipelines.list", pattern: "GET /opportunities/pipelines", ok: `{"pipelines":[]}`,
			run: func(c *Client) error { _, err := c.Pipelines.List(ctx); return err }},
		{name: "users.get", pattern: "GET /users/{id}", ok: userJSON,
			run: func(c *Client) error { _, err := c.Users.Get(ctx, "u1"); return err }},
		{name: "users.filterByEmail (a POST that only reads)", pattern: "POST /users/search/filter-by-email", ok: `{"users":[],"count":0}`,
			run: func(c *Client) error {
				_, err := c.Users.FilterByEmail(ctx, "co1", []string{"a@b.example"})
				return err
			}},
		{name: "medias.list", pattern: "GET /medias/files", ok: `{"files":[]}`,
			run: func(c *Client) error {
				for _, err := range c.Media.List(ctx, MediaListOptions{}) {
					return err
				}
				return nil
			}},
		{name: "medias.delete", pattern: "DELETE /medias/{id}", ok: `{"success":true}`,
			run: func(c *Client) error { return c.Media.Delete(ctx, "m1") }},
		{name: "medias.upload", pattern: "POST /medias/upload-file", create: true,
			run: func(c *Client) error {
				_, err := c.Media.Upload(ctx, MediaUpload{Name: "a.txt", Content: strings.NewReader("a")})
				return err
			}},
	}
	for _, op := range ops {
		t.Run(op.name, func(t *testing.T) {
			ts := newTestServer(t)
			var n atomic.Int32
			ts.handle(op.pattern, func(w http.ResponseWriter, r *http.Request) {
				if n.Add(1) == 1 {
					writeJSON(w, 503, `{"statusCode":503,"message":"Service Unavailable"}`)
					return
				}
				writeJSON(w, 200, op.ok)
			})
			err := op.run(ts.client)
			if op.create {
				require.ErrorIs(t, err, ErrOutcomeUnknown)
				assert.Equal(t, int32(1), n.Load(), "a create is never repeated")
				return
			}
			require.NoError(t, err)
			assert.Equal(t, int32(2), n.Load(), "retried once")
		})
	}
}
