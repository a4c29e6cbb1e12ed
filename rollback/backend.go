package rollback

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"net/url"
	"os"
	"regexp"
	"strings"
)

// ErrBackendUnavailable is returned by Open for a ledger location that
// names a storage backend this build does not provide. Every location
// parseLocation recognises (a file path, sqlite:PATH, postgres:// and
// postgresql:// URLs) has its backend in this build, so Open returns it
// only should a scheme be recognised before its backend exists; it is
// kept so that callers matching it keep compiling.
var ErrBackendUnavailable = errors.New("rollback: ledger backend not available in this build")

// BackendError names the backend and the location Open refused. Location
// is redacted (no password, no password= parameter), so the error can be
// logged. It matches ErrBackendUnavailable with errors.Is.
type BackendError struct {
	Backend  string
	Location string
	Err      error
}

func (e *BackendError) Error() string {
	return fmt.Sprintf("rollback: ledger %s (%s backend): %v", e.Location, e.Backend, e.Err)
}

func (e *BackendError) Unwrap() error { return e.Err }

// Backend names.
const (
	backendSQLite   = "sqlite"
	backendPostgres = "postgres"
)

// parseLocation tells which backend a ledger location selects and what
// that backend opens: "sqlite:PATH" and a bare file path select SQLite on
// PATH (the prefix is optional so every existing caller keeps working);
// "postgres://…" and "postgresql://…" select PostgreSQL with the URL
// unchanged. Only the scheme is looked at: a file whose name merely
// contains a colon stays a file.
func parseLocation(loc string) (backend, target string) {
	lower := strings.ToLower(loc)
	switch {
	case strings.HasPrefix(lower, "postgres://"), strings.HasPrefix(lower, "postgresql://"):
		return backendPostgres, loc
	case strings.HasPrefix(lower, "sqlite:"):
		return backendSQLite, loc[len("sqlite:"):]
	}
	return backendSQLite, loc
}

// passwordParam matches a password given as a key=value parameter, either
// in a URL query (password=…&) or in a libpq keyword string (password=…
// up to the next space).
var passwordParam = regexp.MustCompile(`(?i)(password=)[^&\s]*`)

// RedactDSN returns a database location fit for logs and error strings:
// the password of a URL's user info and any password= parameter become
// "xxxxx"; everything else (host, port, database, options) stays so an
// operator can still tell which server was meant. A location without a
// password comes back unchanged.
func RedactDSN(loc string) string {
	if u, err := url.Parse(loc); err == nil && u.Scheme != "" && u.User != nil {
		if _, has := u.User.Password(); has {
			u.User = url.UserPassword(u.User.Username(), "xxxxx")
			loc = u.String()
		}
	} else if err != nil {
		// An unparsable URL may still carry user:password@: cut it by hand.
		if i := strings.Index(loc, "://"); i >= 0 {
			rest := loc[i+3:]
			if at := strings.LastIndex(rest, "@"); at >= 0 {
				if c := strings.Index(rest[:at], ":"); c >= 0 {
					loc = loc[:i+3] + rest[:c] + ":xxxxx" + rest[at:]
				}
			}
		}
	}
	return passwordParam.ReplaceAllString(loc, "${1}xxxxx")
}

// Exists reports whether a ledger is at location, creating nothing: for a
// file path (or sqlite:PATH), whether the file exists; for a postgres://
// or postgresql:// URL, whether the database holds a ledger (a database
// that does not exist holds none). Anything but a clear "there is none" is
// an error — a directory, an unreadable path, a server that cannot be
// reached — since guessing "missing" could lead a caller to create a new
// ledger beside the real one. Errors name the location through RedactDSN.
func Exists(ctx context.Context, location string) (bool, error) {
	if location == "" {
		return false, invalidArg("location", "empty")
	}
	backend, target := parseLocation(location)
	if backend == backendPostgres {
		return postgresExists(ctx, target)
	}
	if target == "" {
		return false, invalidArg("location", "empty after the sqlite: prefix")
	}
	st, err := os.Stat(target)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return false, nil
	case err != nil:
		return false, fmt.Errorf("rollback: ledger %s: %w", target, err)
	case st.IsDir():
		return false, invalidArg("location", target+" is a directory, not a ledger file")
	}
	return true, nil
}
