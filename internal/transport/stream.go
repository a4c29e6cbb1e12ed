package transport

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"sync"
	"time"
)

// StreamResponse is the answer of [Client.Stream].
type StreamResponse struct {
	StatusCode int
	Header     http.Header
	// ContentLength is the length the server declared, -1 when unknown.
	ContentLength int64
	// Body is the content. For a 2xx answer it streams from the
	// connection under the size cap; for any other status it was read
	// (up to MaxResponseBytes) and the connection released before Stream
	// returned. The caller must close it.
	Body     io.ReadCloser
	Attempts int
}

// Stream sends r like [Client.Do] — the limiter admits every attempt, the
// breaker guards it, and the same [RetryPolicy] applies to 429, 5xx and
// transport errors — but hands over a 2xx body unread, for content too big
// to hold in memory (document downloads). Retries happen only before the
// body is handed over; an error while the caller reads it is returned by
// Read and not retried.
//
// maxBytes caps a 2xx body: a declared Content-Length above it fails at once,
// and Read returns a *[ResponseTooLargeError] as soon as more than maxBytes
// arrive. Zero means the client's MaxResponseBytes; negative means no cap.
//
// The breaker learns the outcome when the body ends: reading to the end, or
// closing early, is a success; a transport error while reading is a failure;
// a cancelled context counts as nothing. Until then the request holds its
// breaker slot (a half-open breaker lets no other probe through meanwhile).
//
// Errors are those of Do; a non-2xx final answer is returned as a
// StreamResponse with a nil error, except a 429 over the retry budget
// (*RateLimitError) and a 5xx of a non-idempotent request
// (*OutcomeUnknownError).
func (c *Client) Stream(ctx context.Context, r *Request, maxBytes int64) (*StreamResponse, error) {
	if !strings.HasPrefix(r.Path, "/") {
		return nil, fmt.Errorf("transport: path %q must start with /", r.Path)
	}
	if maxBytes == 0 {
		maxBytes = c.maxBody
	}
	var streamed *StreamResponse
	resp, err := c.attempts(ctx, r, func(n int, adm admission) exchanged {
		raw, err := c.open(ctx, r, adm.authz)
		if err != nil {
			return exchanged{err: err}
		}
		obs := c.rlHeaders(raw.Header, time.Now())
		if raw.StatusCode >= 200 && raw.StatusCode < 300 {
			if c.limiter != nil {
				c.limiter.Observe(adm.grant, obs, 0)
			}
			if maxBytes > 0 && raw.ContentLength > maxBytes {
				raw.Body.Close()
				adm.report(outcomeSuccess)
				return exchanged{status: raw.StatusCode, err: &ResponseTooLargeError{Method: r.Method, Path: r.Path, Limit: maxBytes}, stop: true}
			}
			// The breaker hears the outcome when the body ends.
			streamed = &StreamResponse{StatusCode: raw.StatusCode, Header: raw.Header, ContentLength: raw.ContentLength,
				Attempts: n, Body: &streamBody{ctx: ctx, rc: raw.Body, limit: maxBytes, left: maxBytes, capped: maxBytes > 0,
					report: adm.report, method: r.Method, path: r.Path}}
			return exchanged{status: raw.StatusCode, stop: true}
		}

		// Any other status: read the (small) body and release the
		// connection; the retry policy decides as for Do.
		body, err := io.ReadAll(io.LimitReader(raw.Body, c.maxBody+1))
		raw.Body.Close()
		if err == nil && int64(len(body)) > c.maxBody {
			adm.report(outcomeSuccess)
			return exchanged{status: raw.StatusCode, err: &ResponseTooLargeError{Method: r.Method, Path: r.Path, Limit: c.maxBody}, stop: true}
		}
		// An error body that broke off (err != nil) is kept as far as it
		// arrived: the status is known, the body only feeds an error message.
		resp := &Response{StatusCode: raw.StatusCode, Header: raw.Header, Body: body, Attempts: n}
		return exchanged{status: raw.StatusCode, resp: resp, obs: obs}
	})
	if streamed != nil {
		return streamed, nil
	}
	var rateLimited *RateLimitError
	var unknown *OutcomeUnknownError
	if resp == nil || errors.As(err, &rateLimited) || errors.As(err, &unknown) {
		return nil, err // the answer, if any, travels inside the error
	}
	return buffered(resp), err
}

func buffered(resp *Response) *StreamResponse {
	return &StreamResponse{StatusCode: resp.StatusCode, Header: resp.Header, ContentLength: int64(len(resp.Body)),
		Body: io.NopCloser(bytes.NewReader(resp.Body)), Attempts: resp.Attempts}
}

// streamBody is a 2xx body under the size cap that tells the breaker how
// the transfer ended, once.
type streamBody struct {
	ctx          context.Context
	rc           io.ReadCloser
	limit, left  int64 // the cap, and bytes still allowed, when capped
	capped       bool
	method, path string

	once   sync.Once
	report func(outcome)
	err    error // sticky terminal error (too large)
}

func (b *streamBody) done(o outcome) { b.once.Do(func() { b.report(o) }) }

func (b *streamBody) Read(p []byte) (int, error) {
	if b.err != nil {
		return 0, b.err
	}
	if b.capped && int64(len(p)) > b.left+1 {
		p = p[:b.left+1] // one byte past the cap tells "too large" from "exactly the cap"
	}
	n, err := b.rc.Read(p)
	if b.capped {
		if int64(n) > b.left {
			n, b.left = int(b.left), 0
			b.err = &ResponseTooLargeError{Method: b.method, Path: b.path, Limit: b.limit}
			b.done(outcomeSuccess)
			return n, b.err
		}
		b.left -= int64(n)
	}
	switch {
	case err == nil:
	case errors.Is(err, io.EOF):
		b.done(outcomeSuccess)
	case b.ctx.Err() != nil:
		b.done(outcomeIgnored)
		err = stripURL(err)
	default:
		b.done(outcomeFailure)
		err = stripURL(err)
	}
	return n, err
}

// Close releases the connection; closing before the end is the caller's
// choice and counts as a success for the breaker.
func (b *streamBody) Close() error {
	b.done(outcomeSuccess)
	return b.rc.Close()
}
