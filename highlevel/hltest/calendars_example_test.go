package hltest_test

import (
	"encoding/json"
	"fmt"
	"time"

	"github.com/pbnhl/pbnhl/highlevel/hltest"
)

// A migration writing a practice's past appointments must book them
// outside the calendar's window and must not notify the patient: the test
// checks both through Notifications and Records.
func ExampleServer_Notifications() {
	s := hltest.NewServer(hltest.Options{})
	defer s.Close()
	id := func(raw, key string) string {
		var m map[string]any
		_ = json.Unmarshal([]byte(raw), &m)
		if key != "" {
			m, _ = m[key].(map[string]any)
		}
		v, _ := m["id"].(string)
		return v
	}
	_, contact := call(s, "POST", "/contacts/", `{"locationId":"`+hltest.DefaultLocationID+`","firstName":"Ada"}`)
	_, cal := call(s, "POST", "/calendars/", `{"locationId":"`+hltest.DefaultLocationID+`","name":"Hygiene"}`)
	appt := func(extra string) int {
		status, _ := call(s, "POST", "/calendars/events/appointments", `{"locationId":"`+hltest.DefaultLocationID+
			`","calendarId":"`+id(cal, "calendar")+`","contactId":"`+id(contact, "contact")+
			`","startTime":"2019-04-01T10:00:00-04:00"`+extra+`}`)
		return status
	}
	fmt.Println("past slot:", appt(``))
	fmt.Println("past slot, ignoreDateRange, toNotify false:", appt(`,"ignoreDateRange":true,"toNotify":false`))
	fmt.Println("notifications:", len(s.Notifications(hltest.DefaultLocationID)))
	ev := s.Records(hltest.DefaultLocationID, hltest.KindEvent)[0]
	start, _ := time.Parse(time.RFC3339, ev["startTime"].(string))
	fmt.Println("toNotify:", ev["toNotify"], "start:", start.UTC())
	// Output:
	// past slot: 400
	// past slot, ignoreDateRange, toNotify false: 200
	// notifications: 0
	// toNotify: false start: 2019-04-01 14:00:00 +0000 UTC
}
