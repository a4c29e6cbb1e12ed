// Package hltest is a stateful, in-process HighLevel API v2 for tests and
// rehearsals: code that passes against it should work against
// services.leadconnectorhq.com.
//
// It speaks plain HTTP/JSON with HighLevel's real paths, shapes and
// quirks, and does not import the client package:
//
//   - Auth: Private Integration tokens per location, OAuth (/oauth/token
//     with authorization_code and refresh_token rotation, /oauth/locationToken
//     for agency tokens), expired tokens, 401 and 403 with HighLevel's
//     messages ("The token does not have access to this location.").
//   - The Version header (2021-07-28, 2021-04-15, 2023-02-21, v3).
//   - Strict write DTOs: an unknown property is a 422 with
//     "property X should not exist"; types and required fields are checked
//     like HighLevel's validation pipe; PUT /contacts/{id} rejects locationId.
//   - Duplicate contacts per location setting (allow or not, match order),
//     the 400 with meta.contactId and matchingField, and upsert semantics
//     (first match in order wins, the conflicting value is dropped).
//   - Burst and daily rate limits per location with the five
//     X-RateLimit-* headers on every response; search lag; seeded faults.
//   - HighLevel's misspellings ("succeded", "buiseness"), 20-character
//     ids, ISO 8601 timestamps with milliseconds, traceId on errors.
//
// Typical use:
//
//	s := hltest.NewServer(hltest.Options{})
//	defer s.Close()
//	// point the client at s.URL with token hltest.DefaultToken
//	// ... run the code under test ...
//	n := s.Count(hltest.DefaultLocationID, hltest.KindContact)
//
// Inspection never goes through HTTP and never counts against the rate
// limit: Count, Contacts, Records, Duplicates, RequestLog, Dump. Reset
// forgets all data; SetFaults switches fault injection at runtime.
//
// Where HighLevel's published OpenAPI documents describe a response, the
// simulator's response validates against them (the package's tests check
// every response with internal/hlspec). Where the documents are wrong about
// what HighLevel sends (custom field values typed as strings, association
// endpoints typed as single associations), the simulator follows HighLevel.
package hltest
