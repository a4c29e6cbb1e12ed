// Package hlspec embeds HighLevel's official OpenAPI v2 documents (CC0, see
// specs/LICENSE and specs/README.md) and validates HTTP requests and responses
// against them.
//
// It exists so that the client (package highlevel) and the simulator (package
// highlevel/hltest) are both tested against the same, real contract rather
// than against each other. The documents reference a shared
// common-schemas.json by relative path; Load inlines those references so the
// documents resolve from memory, without touching the file system.
//
// Typical use in a test:
//
//	v := hlspec.MustValidator(t)
//	if err := v.ValidateRequest(req); err != nil { t.Error(err) }
//
// Operations the documents do not describe (for example pipeline creation,
// released after the specs were taken) are reported as *UndocumentedError so
// callers can tell "invalid" from "not in the spec".
package hlspec
