// Package sdkcheck holds a check of the HighLevel simulator (package
// hltest, served by examples/hlsim) from outside: check.js drives it with
// HighLevel's official Node SDK, @gohighlevel/api-client, pinned in
// package.json and package-lock.json. The Go test (sdkcheck_test.go)
// installs the SDK with npm ci into the user cache directory, starts an
// hltest server on loopback and runs node on the script, then checks the
// simulator's state holds what the SDK wrote.
//
// The check is skipped under -short, when node or npm is missing, and when
// npm cannot fetch the pinned SDK (offline); it says which.
//
// The steps: contact create, get, upsert and search; custom object schema,
// record create, get and search; opportunity create; calendar create,
// appointment create (toNotify false) and get, events by range, a
// contact's appointments; conversation create and search, an inbound
// message with its own past date, messages list and message get, an
// unknown conversation provider refused; and a burst past the limit the
// SDK must retry from the simulator's 429 and X-RateLimit-* headers.
// With SDK 3.1.0 every step passes against the simulator as it is: the
// SDK found no place where it is stricter than HighLevel.
package sdkcheck
