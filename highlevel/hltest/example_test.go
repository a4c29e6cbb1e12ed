package hltest_test

import (
	"fmt"
	"io"
	"net/http"
	"strings"

	"github.com/pbnhl/pbnhl/highlevel/hltest"
)

func call(s *hltest.Server, method, path, body string) (int, string) {
	req, _ := http.NewRequest(method, s.URL+path, strings.NewReader(body))
	req.Header.Set("Authorization", "Bearer "+hltest.DefaultToken)
	req.Header.Set("Version", "2021-07-28")
	req.Header.Set("Content-Type", "application/json")
	res, err := s.Client().Do(req)
	if err != nil {
		return 0, err.Error()
	}
	defer res.Body.Close()
	raw, _ := io.ReadAll(res.Body)
	return res.StatusCode, strings.TrimSpace(string(raw))
}

// A test starts a simulator, points the code under test at s.URL, and
// inspects the result without HTTP.
func Example() {
	s := hltest.NewServer(hltest.Options{})
	defer s.Close()

	status, _ := call(s, "POST", "/contacts/", `{"locationId":"`+hltest.DefaultLocationID+`","firstName":"Ada","email":"ada@example.com"}`)
	fmt.Println(status)
	// The location refuses duplicates, as HighLevel does by default.
	status, _ = call(s, "POST", "/contacts/", `{"locationId":"`+hltest.DefaultLocationID+`","email":"ADA@example.com"}`)
	fmt.Println(status)
	// Write DTOs are strict.
	status, body := call(s, "PUT", "/contacts/"+s.Contacts(hltest.DefaultLocationID)[0].ID, `{"locationId":"`+hltest.DefaultLocationID+`"}`)
	fmt.Println(status, strings.Contains(body, "property locationId should not exist"))

	fmt.Println(s.Count(hltest.DefaultLocationID, hltest.KindContact), "contact")
	// Output:
	// 201
	// 400
	// 422 true
	// 1 contact
}

// Faults are seeded and can be switched at runtime. A lost response is the
// hard case: the write happened, the client saw an error.
func ExampleServer_SetFaults() {
	s := hltest.NewServer(hltest.Options{})
	defer s.Close()

	s.SetFaults(hltest.FaultRule{Route: "POST /contacts/", LostResponseRate: 1})
	status, _ := call(s, "POST", "/contacts/", `{"locationId":"`+hltest.DefaultLocationID+`","firstName":"Lost"}`)
	fmt.Println(status, s.Count(hltest.DefaultLocationID, hltest.KindContact))

	s.SetFaults() // off
	status, _ = call(s, "GET", "/contacts/"+s.Contacts(hltest.DefaultLocationID)[0].ID, "")
	fmt.Println(status)
	// Output:
	// 502 1
	// 200
}

func ExampleParseFaults() {
	rules, err := hltest.ParseFaults("*:5xx=0.01,latency=5ms..40ms;POST /contacts/upsert:lost=0.05,lostas=reset")
	if err != nil {
		panic(err)
	}
	for _, r := range rules {
		fmt.Printf("%s 5xx=%.2f lost=%.2f latency=%s..%s\n", r.Route, r.ServerErrorRate, r.LostResponseRate, r.Latency.Min, r.Latency.Max)
	}
	// Output:
	// * 5xx=0.01 lost=0.00 latency=5ms..40ms
	// POST /contacts/upsert 5xx=0.00 lost=0.05 latency=0s..0s
}

// Rate limits are per location; every response carries the headers.
func ExampleRateLimit() {
	s := hltest.NewServer(hltest.Options{RateLimit: hltest.RateLimit{Max: 2, Window: 3600e9}})
	defer s.Close()
	for range 3 {
		status, _ := call(s, "GET", "/contacts/?locationId="+hltest.DefaultLocationID, "")
		fmt.Print(status, " ")
	}
	fmt.Println()
	// Output: 200 200 429
}
