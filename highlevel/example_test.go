package highlevel_test

import (
	"context"
	"fmt"
	"log"
	"sync"
	"time"

	"github.com/pbnhl/pbnhl/highlevel"
	"github.com/pbnhl/pbnhl/highlevel/hltest"
)

// A contact with custom fields, against the in-process simulator. Against
// HighLevel, leave BaseURL empty and use your location's token.
func ExampleContactsService_Create() {
	sim := hltest.NewServer(hltest.Options{})
	defer sim.Close()
	ctx := context.Background()

	c, err := highlevel.NewClient(highlevel.Options{
		BaseURL:    sim.URL,
		LocationID: hltest.DefaultLocationID,
		Auth:       highlevel.StaticToken(hltest.DefaultToken),
	})
	if err != nil {
		log.Fatal(err)
	}

	// The fields are normally created once by the schema plan.
	patientID, err := c.CustomFields.Create(ctx, highlevel.CustomFieldCreate{Name: "PbN patient id", DataType: highlevel.DataTypeText})
	if err != nil {
		log.Fatal(err)
	}
	balance, err := c.CustomFields.Create(ctx, highlevel.CustomFieldCreate{Name: "Balance", DataType: highlevel.DataTypeMonetary})
	if err != nil {
		log.Fatal(err)
	}
	firstVisit, err := c.CustomFields.Create(ctx, highlevel.CustomFieldCreate{Name: "First visit", DataType: highlevel.DataTypeDate})
	if err != nil {
		log.Fatal(err)
	}

	visit, err := highlevel.ValueFor(highlevel.DataTypeDate, time.Date(2019, 4, 2, 0, 0, 0, 0, time.UTC))
	if err != nil {
		log.Fatal(err)
	}
	contact, err := c.Contacts.Create(ctx, highlevel.ContactInput{
		FirstName: "Rosa",
		LastName:  "Diaz",
		Email:     "rosa.diaz@example.com",
		Phone:     "+15125550142",
		Tags:      []string{"pbn-import"},
		CustomFields: []highlevel.CustomFieldInput{
			{ID: patientID.ID, Value: highlevel.TextValue("PBN-1042")},
			{ID: balance.ID, Value: highlevel.MoneyValue(12550)}, // $125.50
			{ID: firstVisit.ID, Value: visit},
		},
	})
	if err != nil {
		log.Fatal(err)
	}

	id, _ := contact.CustomField(patientID.ID)
	text, _ := id.Text()
	owed, _ := contact.CustomField(balance.ID)
	amount, _ := owed.Number()
	fmt.Println(contact.FirstName, contact.LastName, contact.Tags)
	fmt.Println("patient", text, "balance", amount)
	// Output:
	// Rosa Diaz [pbn-import]
	// patient PBN-1042 balance 125.5
}

// Iterating a search: the iterator pages with page/pageLimit, switches to
// searchAfter past 10,000 records, and keeps one page in memory.
func ExampleContactsService_Search() {
	// A simulator clock that ticks a second per request, so that contacts
	// sort by creation in the order they were created.
	var mu sync.Mutex
	now := time.Date(2026, 1, 5, 9, 0, 0, 0, time.UTC)
	sim := hltest.NewServer(hltest.Options{Clock: func() time.Time {
		mu.Lock()
		defer mu.Unlock()
		now = now.Add(time.Second)
		return now
	}})
	defer sim.Close()
	ctx := context.Background()
	c, err := highlevel.NewClient(highlevel.Options{
		BaseURL:    sim.URL,
		LocationID: hltest.DefaultLocationID,
		Auth:       highlevel.StaticToken(hltest.DefaultToken),
	})
	if err != nil {
		log.Fatal(err)
	}
	for i, name := range []string{"Ada", "Ben", "Cleo", "Dev", "Eli"} {
		tags := []string{"recall"}
		if i%2 == 1 {
			tags = []string{"inactive"}
		}
		if _, err := c.Contacts.Create(ctx, highlevel.ContactInput{FirstName: name, Tags: tags}); err != nil {
			log.Fatal(err)
		}
	}

	q := highlevel.ContactSearch{
		Filters:   []highlevel.SearchFilter{{Field: "tags", Operator: "eq", Value: "recall"}},
		Sort:      []highlevel.SearchSort{{Field: "dateAdded", Direction: "asc"}},
		PageLimit: 2,
	}
	for contact, err := range c.Contacts.Search(ctx, q) {
		if err != nil {
			log.Fatal(err)
		}
		fmt.Println(contact.FirstName)
	}
	// Output:
	// Ada
	// Cleo
	// Eli
}
