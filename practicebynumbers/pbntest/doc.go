// Package pbntest generates realistic, messy Practice by Numbers data and
// serves it over the REST contract of package practicebynumbers (see its
// CONTRACT.md), for tests, benchmarks and offline rehearsals of a migration.
//
// # Generator
//
// [NewPractice](seed, patients) describes a practice; nothing is built until
// it is iterated. Every patient and every record that belongs to them is
// derived from (seed, patient index) alone, so a practice of a million
// patients streams in constant memory and any patient can be rebuilt in
// isolation ([Practice.Chart]). The same seed always yields the same records
// on every platform and Go version, given the same IANA time-zone rules (the
// random source is a hand-written SplitMix64, never math/rand; float math
// avoids fused multiply-add and math.Exp; testdata/ holds goldens).
//
// The data carries the messiness real conversions meet: several offices (one
// closed, one without a phone), staff with and without emails and hidden
// providers still referenced by history; households with a guarantor whose
// children share the phone and the email; duplicate patients (same name and
// birth date in one family) and "New Patient" placeholders; every phone format
// ([PhoneFormats]); missing, malformed, padded and shared emails; 0001-01-01
// dates; inactive, archived, deleted, deceased and prospective patients;
// appointments of every status including sticky notes; procedures with
// custom and deleted codes; treatment plans in pipelines with stages; primary
// and secondary insurance; communications on every channel with their
// original timestamps; form submissions and documents (content generated on
// demand, [Practice.DocumentContent]); custom properties of every type with
// off-list values; KPIs with 24 months of values per office, cohorts with
// their criteria, and automations (recall, reminders, birthday, review
// requests, reactivation) whose message templates carry PbN merge fields,
// some with no HighLevel equivalent; spurious bulk change
// stamps; and free text that embeds procedure lines such as
// "2019-03-04 D1110 prophy adult $95".
//
// Per patient the practice averages about 6 appointments, 10 procedures, 1.3
// coverages and 15 communications. [Practice.Census] inspects the output and
// counts every messy case, so tests can assert them.
//
// # Simulator
//
// [NewServer] starts the REST API of CONTRACT.md on 127.0.0.1 (an httptest
// server: URL, Close, Handler); [New] builds the same [Simulator] without a
// listener, for examples/pbnsim or any http.Server. It serves the generated
// practice page by page (cursor = last id served, records in id order),
// filters by updated_since and patient_id, serves Get by id, the deletions
// feed, document content streams and the inventory, and checks the bearer
// token. Nothing is materialised: a 200,000-patient practice serves with a
// flat heap.
//
// [Simulator.Mutate] changes the live data the way a practice does between a
// full load and a delta: it updates records (bumping updatedAt), registers
// new patients with whole charts, books appointments and logs messages,
// deletes records (into the deletions feed), and bumps stamps without
// changing content. It returns exactly what changed ([Changes]), and the
// server clock steps past the change stamp, so a delta whose updated_since is
// a serverTime issued after the previous Mutate returns exactly this one's
// records.
//
// The server clock ([Simulator.Now]) never runs backwards and never reads
// before Options.NotBefore. The default counts from the simulator's start;
// [WallClock] is the wall clock instead, for a simulator that may be
// restarted (examples/pbnsim): one that waits [RestartMargin] before it
// answers never hands out a serverTime older than its predecessor's.
//
// [Faults] inject seeded 5xx, 429 with Retry-After, latency and dropped
// connections; Options.RateLimit answers 429 over a token bucket. Both are
// off by default.
//
// # CSV export
//
// [Practice.WriteExport] and [Simulator.WriteExport] write the folder the
// contract's ExportReader reads: one file per entity with the canonical
// headers (and custom.<key> columns for patients), rows streamed, optionally
// with a BOM, CRLF line ends, "Patient Id"-style headers, shuffled columns,
// PMS-style dates (03/04/2019, 0001-01-01) and document content files.
//
// # Ids
//
// Patient ids are 1..patients in index order. The j-th (0-based) record of
// a patient-owned entity has id patientID*100 + j + 1, so records are in id
// order when walked patient by patient, and a record's patient is id/100.
//
// Runnable examples (example_test.go files; pkg.go.dev shows them):
// ExampleNewPractice, ExampleNewServer, ExamplePractice_Chart,
// ExamplePractice_WriteExport, ExampleSimulator_Mutate.
package pbntest
