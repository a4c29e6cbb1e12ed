package hltest

import (
	"fmt"
	"net/http"
)

// apiError is an error response shaped like HighLevel's (NestJS) errors:
// {statusCode, message, error?, meta?, traceId}. message is a string, or an
// array of strings for validation failures (422).
type apiError struct {
	status   int
	message  string
	messages []string
	label    string
	meta     map[string]any
}

func (e *apiError) Error() string {
	if e.messages != nil {
		return fmt.Sprintf("%d %v", e.status, e.messages)
	}
	return fmt.Sprintf("%d %s", e.status, e.message)
}

func (e *apiError) body(traceID string) map[string]any {
	b := map[string]any{"statusCode": e.status, "traceId": traceID}
	if e.messages != nil {
		b["message"] = e.messages
	} else {
		b["message"] = e.message
	}
	if e.label != "" {
		b["error"] = e.label
	}
	if e.meta != nil {
		b["meta"] = e.meta
	}
	return b
}

func errBadRequest(format string, args ...any) *apiError {
	return &apiError{status: http.StatusBadRequest, message: fmt.Sprintf(format, args...), label: "Bad Request"}
}

func errUnauthorized(msg string) *apiError {
	return &apiError{status: http.StatusUnauthorized, message: msg, label: "Unauthorized"}
}

func errForbidden(msg string) *apiError {
	return &apiError{status: http.StatusForbidden, message: msg, label: "Forbidden"}
}

func errNotFound(format string, args ...any) *apiError {
	return &apiError{status: http.StatusNotFound, message: fmt.Sprintf(format, args...), label: "Not Found"}
}

func errUnprocessable(msgs ...string) *apiError {
	return &apiError{status: http.StatusUnprocessableEntity, messages: msgs, label: "Unprocessable Entity"}
}

// Messages HighLevel sends, kept verbatim (punctuation included).
const (
	msgVersionMissing    = "version header was not found."
	msgVersionInvalid    = "version header is invalid"
	msgNoLocationAccess  = "The token does not have access to this location."
	msgScopeUnauthorized = "The token is not authorized for this scope."
	msgInvalidJWT        = "Invalid JWT"
	msgInvalidPIT        = "Invalid Private Integration token"
	msgDuplicateContact  = "This location does not allow duplicated contacts."
	msgTooManyRequests   = "Too Many Requests"
)

var errLocationAccess = errForbidden(msgNoLocationAccess)
