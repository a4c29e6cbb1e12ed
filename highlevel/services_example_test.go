package highlevel_test

import (
	"context"
	"fmt"
	"log"
	"strings"

	"github.com/pbnhl/pbnhl/highlevel"
	"github.com/pbnhl/pbnhl/highlevel/hltest"
)

// startExampleSim runs the examples against the HighLevel simulator; a real
// program passes DefaultBaseURL (the default) and its own token instead.
func startExampleSim(users ...hltest.User) (*highlevel.Client, func()) {
	s := hltest.NewServer(hltest.Options{Users: users})
	c, err := highlevel.NewClient(highlevel.Options{
		BaseURL:    s.URL,
		LocationID: hltest.DefaultLocationID,
		Auth:       highlevel.StaticToken(hltest.DefaultToken),
	})
	if err != nil {
		log.Fatal(err)
	}
	return c, s.Close
}

// A custom object for X-rays: the schema, an option field, a record with
// money and an option (by key), and a search over the records.
func ExampleObjectsService_CreateRecord() {
	c, done := startExampleSim()
	defer done()
	ctx := context.Background()

	_, err := c.Objects.CreateSchema(ctx, highlevel.ObjectSchemaCreate{
		Key:                    "custom_objects.xray",
		Labels:                 highlevel.ObjectLabels{Singular: "X-ray", Plural: "X-rays"},
		PrimaryDisplayProperty: highlevel.DisplayProperty{Key: "name", Name: "Name", DataType: highlevel.DataTypeText},
	})
	if err != nil {
		log.Fatal(err)
	}
	for _, f := range []highlevel.ObjectFieldCreate{
		{ObjectKey: "custom_objects.xray", FieldKey: "custom_objects.xray.kind", Name: "Kind", DataType: highlevel.DataTypeSingleOptions,
			Options: []highlevel.FieldOption{{Key: "bitewing", Label: "Bitewing"}, {Key: "panoramic", Label: "Panoramic"}}},
		{ObjectKey: "custom_objects.xray", FieldKey: "custom_objects.xray.fee", Name: "Fee", DataType: highlevel.DataTypeMonetary},
	} {
		if _, err := c.CustomFields.CreateObjectField(ctx, f); err != nil { // finds the object's folder itself
			log.Fatal(err)
		}
	}
	rec, err := c.Objects.CreateRecord(ctx, "custom_objects.xray", highlevel.RecordInput{
		Properties: map[string]highlevel.FieldValue{
			"name": highlevel.TextValue("Bitewing, left"),
			"kind": highlevel.TextValue("bitewing"),   // option key
			"fee":  highlevel.RecordMoneyValue(4_250), // $42.50
		},
	})
	if err != nil {
		log.Fatal(err)
	}
	fee, currency, _ := rec.Properties.Money("fee")
	kind, _ := rec.Properties.Value("kind")
	k, _ := kind.Text()
	fmt.Println(k, fee, currency)

	for r, err := range c.Objects.SearchRecords(ctx, "custom_objects.xray", highlevel.RecordSearch{Query: "bitewing"}) {
		if err != nil {
			log.Fatal(err)
		}
		name, _ := r.Properties.Value("name")
		s, _ := name.Text()
		fmt.Println("found:", s)
	}
	// Output:
	// bitewing 4250 default
	// found: Bitewing, left
}

// Link a contact to a custom record: one association, then one relation
// call per link.
func ExampleAssociationsService_CreateRelation() {
	c, done := startExampleSim()
	defer done()
	ctx := context.Background()
	_, err := c.Objects.CreateSchema(ctx, highlevel.ObjectSchemaCreate{
		Key: "custom_objects.xray", Labels: highlevel.ObjectLabels{Singular: "X-ray", Plural: "X-rays"},
		PrimaryDisplayProperty: highlevel.DisplayProperty{Key: "name", Name: "Name", DataType: highlevel.DataTypeText},
	})
	if err != nil {
		log.Fatal(err)
	}
	a, err := c.Associations.Create(ctx, highlevel.AssociationInput{Key: "patient_xray",
		FirstObjectKey: "contact", FirstObjectLabel: "Patient",
		SecondObjectKey: "custom_objects.xray", SecondObjectLabel: "X-ray"})
	if err != nil {
		log.Fatal(err)
	}
	patient, err := c.Contacts.Create(ctx, highlevel.ContactInput{FirstName: "Rosa", Email: "rosa@example.com"})
	if err != nil {
		log.Fatal(err)
	}
	film, err := c.Objects.CreateRecord(ctx, "custom_objects.xray", highlevel.RecordInput{
		Properties: map[string]highlevel.FieldValue{"name": highlevel.TextValue("Panoramic")}})
	if err != nil {
		log.Fatal(err)
	}
	// First and second record follow the association's order.
	if _, err := c.Associations.CreateRelation(ctx, highlevel.RelationInput{
		AssociationID: a.ID, FirstRecordID: patient.ID, SecondRecordID: film.ID}); err != nil {
		log.Fatal(err)
	}
	for rel, err := range c.Associations.Relations(ctx, patient.ID, highlevel.RelationListOptions{}) {
		if err != nil {
			log.Fatal(err)
		}
		fmt.Println(rel.FirstRecordID == patient.ID, rel.SecondRecordID == film.ID)
	}
	// Output: true true
}

// A pipeline with its stages, an opportunity worth $1,200 in its second
// stage, and a search of the pipeline.
func ExamplePipelinesService_Create() {
	c, done := startExampleSim()
	defer done()
	ctx := context.Background()

	p, err := c.Pipelines.Create(ctx, highlevel.PipelineInput{Name: "Treatment plans", Stages: []string{"Proposed", "Accepted", "Completed"}})
	if err != nil {
		log.Fatal(err) // a 4xx here means: create the pipeline by hand, then Pipelines.List
	}
	accepted, _ := p.Stage("Accepted")
	patient, err := c.Contacts.Create(ctx, highlevel.ContactInput{FirstName: "Rosa", Email: "rosa@example.com"})
	if err != nil {
		log.Fatal(err)
	}
	value := highlevel.Cents(120_000)
	_, err = c.Opportunities.Create(ctx, highlevel.OpportunityInput{PipelineID: p.ID, PipelineStageID: accepted.ID,
		Name: "Crown #14", ContactID: patient.ID, MonetaryValue: &value})
	if err != nil {
		log.Fatal(err)
	}
	for o, err := range c.Opportunities.Search(ctx, highlevel.OpportunitySearch{PipelineID: p.ID}) {
		if err != nil {
			log.Fatal(err)
		}
		fmt.Println(o.Name, o.Status, o.Cents(), o.PipelineStageID == accepted.ID)
	}
	// Output: Crown #14 open 120000 true
}

// Resolve a record owner from a staff member's e-mail address.
func ExampleUsersService_FindByEmail() {
	c, done := startExampleSim(hltest.User{ID: "simUser0000000000001", FirstName: "Ann", LastName: "Lee", Email: "ann.lee@smile.example"})
	defer done()
	u, err := c.Users.FindByEmail(context.Background(), hltest.DefaultCompanyID, "Ann.Lee@smile.example")
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(u.ID, u.Name)
	// Output: simUser0000000000001 Ann Lee
}

// Upload a document; anything over 25 MB is refused before it is sent.
func ExampleMediaService_Upload() {
	c, done := startExampleSim()
	defer done()
	f, err := c.Media.Upload(context.Background(), highlevel.MediaUpload{
		Name:    "consent-form.txt",
		Content: strings.NewReader("signed 2019-04-02"),
	})
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(f.FileID != "", strings.HasSuffix(f.URL, ".txt"))
	// Output: true true
}

// Location custom fields for contacts: a picklist, then a value on a
// contact by field id.
func ExampleCustomFieldsService_Create() {
	c, done := startExampleSim()
	defer done()
	ctx := context.Background()
	f, err := c.CustomFields.Create(ctx, highlevel.CustomFieldCreate{
		Name: "Insurance carrier", DataType: highlevel.DataTypeSingleOptions,
		Model: highlevel.FieldModelContact, Options: []string{"Delta Dental", "Cigna"},
	})
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(f.FieldKey, f.PicklistOptions)
	ct, err := c.Contacts.Create(ctx, highlevel.ContactInput{FirstName: "Rosa", Email: "rosa@example.com",
		CustomFields: []highlevel.CustomFieldInput{{ID: f.ID, Value: highlevel.TextValue("Cigna")}}})
	if err != nil {
		log.Fatal(err)
	}
	v, _ := ct.CustomField(f.ID)
	s, _ := v.Text()
	fmt.Println(s)
	// Output:
	// contact.insurance_carrier [Delta Dental Cigna]
	// Cigna
}
