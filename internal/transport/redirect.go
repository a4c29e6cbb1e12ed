package transport

import (
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"
)

// ErrRedirectRefused: the server answered with a redirect the client does
// not follow (see [RedirectError]).
var ErrRedirectRefused = errors.New("redirect refused")

// maxRedirects bounds a chain of same-origin redirects of a GET.
const maxRedirects = 5

// RedirectError reports a redirect the client refused to follow. Nothing
// was sent to the target. Target is the target's scheme and host only: a
// redirect URL's path and query may carry values and are never kept.
type RedirectError struct {
	Method, Path string // the original request (no query)
	StatusCode   int    // the 3xx answer
	Target       string // scheme://host[:port] of the Location, "" if unknown
	Reason       string // why it was refused
}

func (e *RedirectError) Error() string {
	s := fmt.Sprintf("%s %s: redirect refused (%d", e.Method, e.Path, e.StatusCode)
	if e.Target != "" {
		s += " to " + e.Target
	}
	return s + "): " + e.Reason
}

// Is matches ErrRedirectRefused.
func (e *RedirectError) Is(target error) bool { return target == ErrRedirectRefused }

// redirectPolicy is the http.Client CheckRedirect of every transport Client.
// A redirect is followed only when it cannot leak anything: the request is
// a GET (a write must never be re-sent — a 307/308 would replay the body
// elsewhere, and a 301/302/303 would silently turn it into a GET), and the
// target has the same scheme, host and port as the request (no other host,
// no other port of the same host, no https→http downgrade). Even then the
// credential headers are dropped: the standard library keeps Authorization
// across ports of one host and across schemes, and a same-origin redirect
// that needs the credential gets a 401 instead of a leak.
func redirectPolicy(authHdr string) func(req *http.Request, via []*http.Request) error {
	return func(req *http.Request, via []*http.Request) error {
		first := via[0]
		e := &RedirectError{Method: first.Method, Path: first.URL.Path, Target: origin(req.URL)}
		if req.Response != nil {
			e.StatusCode = req.Response.StatusCode
		}
		prev := via[len(via)-1].URL
		switch {
		case first.Method != http.MethodGet:
			e.Reason = "only GET requests follow redirects; a " + first.Method + " is never re-sent"
		case len(via) > maxRedirects:
			e.Reason = fmt.Sprintf("more than %d redirects", maxRedirects)
		case strings.EqualFold(prev.Scheme, "https") && !strings.EqualFold(req.URL.Scheme, "https"):
			e.Reason = "it would downgrade https to " + req.URL.Scheme
		case !strings.EqualFold(req.URL.Scheme, first.URL.Scheme):
			e.Reason = "it changes the scheme"
		case !strings.EqualFold(req.URL.Hostname(), first.URL.Hostname()):
			e.Reason = "it goes to another host"
		case port(req.URL) != port(first.URL):
			e.Reason = "it goes to another port"
		default:
			for _, h := range []string{"Authorization", authHdr, "Cookie", "Proxy-Authorization"} {
				if h != "" {
					req.Header.Del(h)
				}
			}
			return nil
		}
		return e
	}
}

// origin is u's scheme://host[:port], without user info, path or query.
func origin(u *url.URL) string {
	if u == nil || u.Host == "" {
		return ""
	}
	return strings.ToLower(u.Scheme) + "://" + u.Host
}

// port is u's port, the scheme's default when absent.
func port(u *url.URL) string {
	if p := u.Port(); p != "" {
		return p
	}
	switch strings.ToLower(u.Scheme) {
	case "https":
		return "443"
	case "http":
		return "80"
	}
	return ""
}
