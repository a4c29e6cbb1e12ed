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
// Where the SDK showed the simulator stricter than HighLevel, the fix is
// in hltest with a comment naming the SDK call.
package sdkcheck
