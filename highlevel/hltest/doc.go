// Package hltest is a stateful, in-process HighLevel API v2 for tests and
// rehearsals: code that passes against it should work against
// services.leadconnectorhq.com.
//
// It speaks plain HTTP/JSON with HighLevel's real paths, shapes and quirks,
// and does not import the client package:
//
//   - Auth: a Private Integration token per location; OAuth at /oauth/token
//     (authorization_code, refresh_token with rotation; codes from
//     Server.AuthorizationCode), agency tokens and /oauth/locationToken;
//     expired tokens. 401 and 403 carry HighLevel's messages ("Invalid JWT",
//     "The token does not have access to this location.", "The token is not
//     authorized for this scope.").
//   - The Version header: missing or unknown is a 401; 2021-07-28,
//     2021-04-15, 2023-02-21 and v3 are accepted.
//   - Strict write DTOs, as HighLevel's validation pipe: an unknown property
//     is a 422 with "property X should not exist" in a message array; types,
//     enums and required fields give class-validator messages; query
//     parameters are whitelisted too; PUT /contacts/{id} rejects locationId.
//     Custom field values must match the field's dataType and options.
//   - Location settings (Location.AllowDuplicates, DuplicateOrder — the
//     matching fields —, AllowDuplicateOpportunities), served by
//     GET /locations/{locationId} as settings.allowDuplicateContact and
//     allowDuplicateOpportunity and changed at runtime by UpdateLocation.
//     Duplicate contacts: create answers 400 with meta.contactId and
//     matchingField; upsert updates the first match in order and silently
//     drops a value that belongs to another contact. Duplicate
//     opportunities: a second one for a contact in a pipeline is a 400
//     "Can not create duplicate opportunity for the contact."
//   - Burst (fixed or sliding window) and daily rate limits per marketplace
//     app per location (or company, for agency tokens), as HighLevel
//     documents them: a Private Integration token is its own app, an OAuth
//     token counts for its client, Options.Tokens adds tokens with their
//     app; the day is the UTC day. The five X-RateLimit-* headers on every
//     response, 429 beyond. RateLimit.Sliding is the stricter mode (every
//     request it admits a fixed window admits too); examples/hlsim
//     defaults to it.
//   - Search lag (Options.SearchLag): writes reach search endpoints late;
//     reads by id are immediate.
//   - Seeded faults per route (FaultRule, ParseFaults, SetFaults): 5xx,
//     spurious 429, latency, a connection dropped before the write, a
//     write applied whose response is lost (502 or a connection reset), and
//     "apply late" (FaultRule.ApplyLateRate, ApplyLateDelay): a write held
//     past its caller's timeout or death and applied later, as HighLevel
//     does; WaitApplied and HeldWrites let a test wait for it.
//   - Objects are stamped with the time they were applied, never earlier
//     than an object committed before them in the same location. Paging
//     cursors are HighLevel's [creation ms, id] (contacts and records
//     searchAfter, opportunities searchAfter and startAfter/startAfterId,
//     the legacy contact list): results are ordered by millisecond, then
//     id, so a cursor stands on its own even when its record is deleted,
//     and objects created in the cursor's millisecond are neither repeated
//     nor skipped.
//   - HighLevel's spellings ("succeded", "buiseness"), 20-character ids,
//     ISO 8601 timestamps with milliseconds, traceId on every error.
//
// Resources: contacts (create, upsert, get, update, delete, search with
// eq/not_eq/contains/not_contains/exists/not_exists/range filters on
// standard fields and customFields.<id>, AND/OR groups, page/pageLimit up to
// 10,000 then searchAfter, duplicate lookup, tags and bulk tags, notes,
// tasks, the legacy list), businesses and POST /contacts/bulk/business,
// locations and their custom fields, Custom Fields V2 and folders, custom
// object schemas and records (+ search), associations and relations,
// opportunities (+ upsert, search by location_id) and pipelines (list,
// create), users (search, filter by email; from Options.Users or
// LoadUsersFile), media upload, calendars and conversations (below).
//
// Calendars (calendars.go): calendars list, get and create; appointments
// create, get, update and delete; GET /calendars/events by range (epoch ms,
// with calendarId, userId or groupId); GET /contacts/{contactId}/appointments.
// Slot validation as the spec describes its flags: a slot before the
// calendar's booking window (every past slot) is a 400 "The slot you have
// selected is no longer available." unless ignoreDateRange; a taken slot
// (appoinmentPerSlot, default 1) is refused unless ignoreFreeSlotValidation,
// which skips every check; open hours and buffers are not modelled.
// toNotify defaults to true; each create or update that would have run the
// calendar's automations is a Notification (Server.Notifications,
// KindNotification), and Records/Dump show each event's toNotify, so a test
// can assert that no patient would have been notified. Slot checks look
// only at the calendar's appointments of the days concerned, so booking
// stays cheap with a practice's whole history loaded. A contact's
// appointments and conversation are deleted with it.
//
// Conversations (conversations.go): create (one per contact; a second is
// the live 400 "Conversation with the contact id:<id> already exists!"),
// search (lagged by SearchLag, as live), get, delete (with its messages —
// the API deletes no single message); POST /conversations/messages/inbound
// and /outbound (an external call), messages by conversation (newest first
// by date, paged by lastMessageId) and message get. A message keeps the
// date it was given as dateAdded (Records/Dump add dateWritten). A
// conversationProviderId must be one of Location.ConversationProviders
// (else 400 "Invalid conversationProviderId"); an inbound message on
// HighLevel's own channels needs none, a Custom one and an outbound call do.
//
// Typical use:
//
//	s := hltest.NewServer(hltest.Options{})
//	defer s.Close()
//	// point the client at s.URL with token hltest.DefaultToken,
//	// location hltest.DefaultLocationID; run the code under test
//	n := s.Count(hltest.DefaultLocationID, hltest.KindContact)
//
// Inspection never goes through HTTP and never counts against the rate
// limit: Count, Contacts, Contact, Records, Duplicates, Notifications,
// RequestLog, Dump. RequestLog is capped (Options.RequestLogLimit); Served
// counts every request exactly, and Options.RequestLogTo streams one JSON
// line per request (method, route template, status, duration; no path,
// query, header or body) for breakdowns of runs of any length.
// Reset forgets all data; UpdateLocation changes a location's settings
// (duplicate rules) at runtime. Options.Clock moves time for rate limits, search
// lag and token expiry; Options.Seed makes ids and fault draws repeatable.
//
// Where HighLevel's published OpenAPI documents describe a response, the
// simulator's response validates against them; the tests check every
// response with internal/hlspec. Where the documents contradict what
// HighLevel sends (custom field values typed as strings, record properties
// typed as a string, association endpoints typed as one association,
// appointment times typed as objects, a conversation's last message
// required before it has one), the
// simulator follows HighLevel and the tests list each gap with its reason.
//
// Where live HighLevel is more lenient than its spec, the simulator follows
// live HighLevel (each with a test citing its source): GET
// /objects/{schemaKey}/records/{id} accepts and ignores ?locationId;
// record search takes page or searchAfter (query optional) and its cursor
// is [createdAt ms, record id]; record routes answer an unknown schema key
// with 404 "Custom Object (<key>) not found"; POST /medias/upload-file
// accepts ?altType=location&altId=<the token's location>.
//
// Choices where HighLevel's behaviour is unconfirmed, kept in one place each:
// a phone that cannot be parsed is a 400 "Invalid phone number" (phones are
// stored in E.164); tags are stored lowercased; unknown custom field ids in
// a contact body are ignored; DATE values are stored as YYYY-MM-DD; every
// custom object (and business) gets a default field folder, whose id
// POST /custom-fields/ needs as parentId; a second opportunity for a contact
// in the same pipeline is refused unless Location.AllowDuplicateOpportunities,
// whatever the first one's status;
// 429 carries no Retry-After unless RateLimit.RetryAfter; an appointment
// written without a status is "confirmed" ("new" when the calendar's
// autoConfirm is false); unknown calendars, events, conversations and
// messages are 400s, like unknown contacts; the messages page and a message
// are served unwrapped, as the spec documents them; only calls, SMS and
// e-mail get a numeric message type (1, 2, 3); a contact's appointments and
// conversation are deleted with it.
//
// Runnable examples (example_test.go files; pkg.go.dev shows them): Example,
// ExampleParseFaults, ExampleRateLimit, ExampleServer_Notifications,
// ExampleServer_SetFaults.
package hltest
