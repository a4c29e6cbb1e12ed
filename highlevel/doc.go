// Package highlevel is a typed client for HighLevel's API v2
// (services.leadconnectorhq.com), built for bulk migrations: every call is
// paced by a per-location limiter, retried only when that is safe, and
// reported with typed errors that never contain tokens or personal data.
//
// # Getting started
//
//	c, err := highlevel.NewClient(highlevel.Options{
//		LocationID: "ve9EPM428h8vShlRW1KT",
//		Auth:       highlevel.StaticToken(os.Getenv("HL_TOKEN")), // a Private Integration Token
//	})
//	contact, err := c.Contacts.Create(ctx, highlevel.ContactInput{
//		FirstName: "Rosan", Email: "rosan@example.com",
//		CustomFields: []highlevel.CustomFieldInput{
//			{ID: patientIDField, Value: highlevel.TextValue("PBN-1042")},
//		},
//	})
//
// Services hang off the Client: Contacts (with tags, notes and tasks),
// Businesses, CustomFields, Objects, Associations, Opportunities, Pipelines,
// Users, Media and Locations (Get: the location and its duplicate-contact
// and duplicate-opportunity settings, which a migration's preflight
// checks), Calendars (calendars and appointments; every appointment write
// sends toNotify, false unless AppointmentInput.Notify, so a migration
// never triggers the calendar's messages to patients) and Conversations (a
// contact's conversation; messages added with the date they were sent,
// nothing is sent). Methods take a context first and return concrete types;
// listings are iterators (iter.Seq2[*T, error]) that hold one page in memory.
// Media.Upload streams its multipart body through a pipe as the content
// is read (MediaUpload.Open reopens it for an attempt HighLevel refused
// unread): a file's size never sets the memory used; over 25 MB is
// ErrFileTooLarge.
//
// # Write bodies
//
// A write input says the JSON its service sends: Body on ContactInput,
// ContactUpdate, BusinessInput, BusinessUpdate, RecordInput,
// RecordUpdate, OpportunityInput, OpportunityUpdate and RelationInput;
// json.Marshal (their MarshalJSON) on NoteInput and TaskInput, whose
// Body is a field. A create sends that body with "locationId" put first;
// an update sends it as is. A caller that journals what it sends (a
// migration's ledger) journals these bytes, and journal, digest and
// request are the same by construction (TestBodyIsWhatTheServiceSends).
//
// # Authentication
//
// [StaticToken] is a sub-account Private Integration Token. [OAuth]
// implements OAuth 2.0: [OAuth.Exchange] trades an authorization code,
// tokens are refreshed before they expire and once after a 401, the rotated
// refresh token is saved through a [TokenStore] before it is used, and
// concurrent calls share a single refresh. [OAuth.LocationTokenSource]
// turns an agency token into sub-account tokens (/oauth/locationToken).
// [FileTokenStore] writes a temporary 0600 file, fsyncs it, renames it into
// place and fsyncs the directory, so a crash never brings back a refresh
// token HighLevel has already revoked; its Load refuses a file its group or
// others can access ([ErrTokenFileMode], "run chmod 600 …").
//
// Every request carries the Version header its operation declares in
// HighLevel's OpenAPI documents (2021-07-28 for every area this package
// covers).
//
// # Rate limits, retries and the circuit breaker
//
// HighLevel allows 100 requests per 10 seconds and 200,000 per day per
// location. A [Limiter] (one per location, shared by every goroutine and
// every Client of that location) never lets more than 100 requests leave in
// any 10-second span, whether HighLevel counts in fixed or sliding windows,
// and follows the X-RateLimit-* headers: a lower X-RateLimit-Max or
// remaining count (another app using the quota) slows it down, and
// X-RateLimit-Daily-Remaining: 0 makes every call fail fast with a daily
// *[RateLimitError] (errors.Is [ErrDailyLimit]) until a probe is due, so
// callers pause instead of spinning.
//
// Retries use capped, jittered exponential backoff and honour Retry-After;
// every wait ends as soon as the context is done.
//
//   - 429: retried for any method (the request was not processed), and the
//     whole location pauses. Never counted as a breaker failure.
//   - Connection refused or unreachable (nothing was sent): retried.
//   - Other network errors and 5xx: retried for GET, PUT and DELETE (and
//     contact searches). For a create (POST) they end with an error
//     matching [ErrOutcomeUnknown]: the record may exist. Look it up by its
//     external id before trying again.
//   - 401: the OAuth token is refreshed once and the call repeated. A
//     token still refused, or one that cannot be refreshed (a static
//     token, an OAuth refresh refused), ends the call with an
//     *[UnauthorizedError] ([ErrUnauthorized]): "HighLevel refused the
//     access token (401): check the token and that it belongs to location
//     …", with why a refresh failed; never the token. It unwraps to the 401
//     *[APIError].
//
// The breaker opens after consecutive 5xx or network failures and fails
// fast with [ErrCircuitOpen]; 4xx answers and cancelled contexts never count.
//
// Every HTTP attempt is bounded by the request timeout
// ([WithRequestTimeout] or Options.RequestTimeout; default 60s, at most
// 10m, anything else refused by NewClient), from sending to the end of the
// answer, whatever the http.Client's own Timeout. An attempt cut off is a
// network error as above (a create's outcome is then unknown).
// [Client.RequestTimeout] reports the bound, so a caller can tell when a
// write it gave up on can no longer be waiting for its answer.
//
// Redirects are followed only for a GET to the same scheme, host and port,
// without the token; anything else (a create answered 307/308, another
// host or port, https→http) fails with an error matching
// [ErrRedirectRefused], and nothing is sent to the target.
//
// # Errors
//
// Non-2xx answers are *[APIError] (status, HighLevel's error class,
// traceId, operation, method and path without query). errors.Is matches
// [ErrNotFound] (also HighLevel's 400 "… not found"), [ErrUnauthorized],
// [ErrForbidden] and [ErrValidation]. A location that refuses duplicate
// contacts gives a *[DuplicateContactError] with the existing contact's id
// and the matching field.
//
// HighLevel's messages quote values back ("Contact with name Jane O'Brien
// already exists", "Invalid option 'Penicillin allergy' for field
// allergies"), so no error of this package shows them.
// [APIError.SafeReason] — what Error() shows, and what the migration
// journals as a rejection reason — keeps the status, the operation, the
// error class ("Unprocessable Entity", "invalid_grant"; any other text in
// that place is dropped), the field names it recognises (HighLevel property
// names, custom field ids, dotted paths such as customFields.0.value, the
// word after "field"/"property", the properties nested errors name) and per
// message one description from a fixed list ("too long", "invalid option",
// "already exists", …): "HTTP 422 contacts.create Unprocessable Entity:
// address1: too long; allergies: invalid option". Quoted text is removed
// before anything is recognised, and a message with nothing recognisable is
// only counted as withheld. Every shape HighLevel uses is read: message as a
// string or an array, nested class-validator errors ({property,
// constraints, children}), errors arrays of {field, message} and objects
// keyed by field. [APIError.RawMessages] returns the raw text (scrubbed of
// e-mails, phones, dates and tokens only): it may contain patient data and
// is for matching HighLevel's wording in code, never for logs or files.
// Decode errors of 2xx bodies keep the offset, the Go field path, the JSON
// kind and the Go type, never the value.
//
// # Custom field values
//
// [CustomFieldInput] carries a [FieldValue] encoded as HighLevel expects for
// the field's [DataType]: [TextValue], [NumberValue], [MoneyValue] (exact
// cents), [OptionsValue], [DateValue], or [ValueFor] which checks a Go value
// against a data type. Values come back as [CustomFieldValue] (id and raw
// value, with Text, Number and Strings accessors).
//
// # Stored values
//
// HighLevel normalises what it stores, so a value read back is often not
// the bytes sent: an e-mail's case, a phone in E.164, a date returned as
// midnight UTC, tags lowercased and reordered, a NUMERICAL field's text
// stored as a number, an emptied field dropped. [StoredEqual] is that
// equivalence, in one place: the ledger's change check (rollback), the
// reconcile field diff and the demo's sample diff all call it, and
// [StoredEmpty] says what counts as "no value".
//
// # Where the official specs are silent or wrong
//
// The client is tested against HighLevel's OpenAPI documents (every request
// the tests send is validated). These operations or shapes differ from
// them, on purpose:
//
//   - POST /contacts/search: the spec's body schema is empty; the body sent
//     is {locationId, page, pageLimit, searchAfter, filters, sort, query}
//     and the answer's count is read from "total" (the spec says "count").
//   - POST /contacts/bulk/business with a null businessId (unlink): the
//     spec types businessId as a non-null string.
//   - POST /contacts/bulk/tags/update/{type}: the spec does not declare the
//     {type} path parameter (add or remove).
//   - dateOfBirth and numeric custom field values: the spec types them as
//     objects; HighLevel takes strings and numbers.
//   - Business create and update answer with "buiseness" (sic); get with
//     "business". Both are decoded everywhere.
//   - Pipeline creation (POST /opportunities/pipelines) is not in the spec;
//     it is isolated in one function so its body is easy to fix.
//   - The response to GET /contacts/search/duplicate is undocumented; it is
//     read as {contact} (null when there is none).
//   - A message's direction (POST /conversations/messages/inbound): the spec
//     types it as an object; HighLevel takes "inbound" or "outbound".
//   - AddInbound sends conversationProviderId only when given: HighLevel's
//     own channels take none (highlevel-api-docs issue #107); the spec
//     marks it required.
//
// Runnable examples (example_test.go files; pkg.go.dev shows them):
// ExampleAssociationsService_CreateRelation, ExampleContactsService_Create,
// ExampleContactsService_Search, ExampleCustomFieldsService_Create,
// ExampleMediaService_Upload, ExampleObjectsService_CreateRecord,
// ExamplePipelinesService_Create, ExampleStoredEqual,
// ExampleUsersService_FindByEmail.
package highlevel
