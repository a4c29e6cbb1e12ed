// Package redact removes secrets and personal data (PHI) from text before it
// reaches an error string or a log line.
//
// The connectors never put request or response bodies into errors; what can
// still leak is text the remote API writes into its error messages ("Contact
// with email jane@example.com already exists"), URLs carrying query values
// (?email=…, ?code=…) and credentials. [String] scrubs free text, [URL] keeps
// the path and the names of query parameters but not their values (except an
// allow-list of structural parameters such as locationId or limit), and
// [NewHandler] wraps a [log/slog.Handler] so that attributes with sensitive
// keys are masked and every string value is scrubbed.
package redact
