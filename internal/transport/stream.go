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
	idem := r.idempotent()
	refreshed := false
	for attempt := 1; ; attempt++ {
		adm, err := c.admit(ctx, r)
		if err != nil {
			return nil, err
		}
		grant, authz, report := adm.grant, adm.authz, adm.report

		start := time.Now()
		raw, err := c.open(ctx, r, authz)
		dur := time.Since(start)
		status := 0
		if raw != nil {
			status = raw.StatusCode
		}
		c.record(ctx, r, attempt, status, err, dur)

		if err != nil {
			if err := c.failed(ctx, r, idem, attempt, err, report); err != nil {
				return nil, err
			}
			continue
		}

		obs := c.rlHeaders(raw.Header, time.Now())
		if raw.StatusCode >= 200 && raw.StatusCode < 300 {
			if c.limiter != nil {
				c.limiter.Observe(grant, obs, 0)
			}
			if maxBytes > 0 && raw.ContentLength > maxBytes {
				raw.Body.Close()
				report(outcomeSuccess)
				return nil, &ResponseTooLargeError{Method: r.Method, Path: r.Path, Limit: maxBytes}
			}
			return &StreamResponse{StatusCode: raw.StatusCode, Header: raw.Header, ContentLength: raw.ContentLength,
				Attempts: attempt, Body: &streamBody{ctx: ctx, rc: raw.Body, limit: maxBytes, left: maxBytes, capped: maxBytes > 0,
					report: report, method: r.Method, path: r.Path}}, nil
		}

		// Any other status: read the (small) body and release the
		// connection, then decide as Do does.
		body, err := io.ReadAll(io.LimitReader(raw.Body, c.maxBody+1))
		raw.Body.Close()
		if err == nil && int64(len(body)) > c.maxBody {
			err = &ResponseTooLargeError{Method: r.Method, Path: r.Path, Limit: c.maxBody}
		}
		if err != nil {
			var tooLarge *ResponseTooLargeError
			if errors.As(err, &tooLarge) {
				report(outcomeSuccess)
				return nil, err
			}
			// The error body broke off: the status is known, keep what
			// arrived (it only feeds an error message).
		}
		resp := &Response{StatusCode: raw.StatusCode, Header: raw.Header, Body: body, Attempts: attempt}
		v := c.decide(ctx, r, idem, attempt, resp, obs, grant, authz, &refreshed, report)
		switch {
		case v.retry:
			attempt -= v.refund
			continue
		case v.abandoned:
			return nil, v.err
		}
		var rateLimited *RateLimitError
		var unknown *OutcomeUnknownError
		if errors.As(v.err, &rateLimited) || errors.As(v.err, &unknown) {
			return nil, v.err // the answer travels inside the error
		}
		return buffered(resp), v.err
	}
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
