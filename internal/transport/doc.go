// Package transport is the HTTP layer shared by the HighLevel and Practice by
// Numbers connectors: one resty client (never exposed), a per-tenant rate
// limiter, a retry policy, a per-tenant circuit breaker, a response-size
// limit, and redacted slog logging.
//
// # Using it
//
//	reg, _ := transport.NewRegistry(
//		transport.LimiterOptions{Limit: 100, Window: 10 * time.Second},
//		transport.BreakerOptions{})
//	t := reg.Tenant(locationID) // shared by every client of this location
//	c, _ := transport.New(transport.Options{
//		BaseURL: "https://services.leadconnectorhq.com",
//		Auth:    auth,          // Authenticator (and optionally Refresher)
//		Limiter: t.Limiter,
//		Breaker: t.Breaker,
//		Logger:  logger,
//	})
//	resp, err := c.Do(ctx, &transport.Request{
//		Op: "contacts.get", Method: "GET", Path: "/contacts/" + url.PathEscape(id),
//		Header: http.Header{"Version": {"2021-07-28"}},
//	})
//
// Auth puts its value in the Authorization header by default;
// Options.AuthHeader names another header for API-key schemes, and
// [AuthFunc] adapts a plain function.
//
// [Client.Do] and [Client.Stream] run the same attempt loop (client.go,
// attempts): admission by breaker, limiter and credential, one exchange,
// the attempt's record, then one retry policy for transport errors and
// answers alike; they differ only in how an exchange reads its answer.
//
// [Client.Do] returns the final [Response] whatever its status; decoding
// error bodies into API errors belongs to the connector. Its own errors are
// typed and carry neither tokens, bodies nor query values:
//
//   - *[OutcomeUnknownError] (errors.Is [ErrOutcomeUnknown]): a
//     non-idempotent request got a 5xx or a transport error after it may
//     have been written. It is not retried: the caller must look the record
//     up (by its external id) before trying again.
//   - *[RateLimitError] ([ErrRateLimited], and [ErrDailyLimit] when the daily
//     quota is spent): 429s outlasted the retry budget, or the server asked
//     to wait longer than RetryPolicy.MaxRetryAfter, or the daily quota ran
//     out. *[DailyLimitError] is returned without sending while the limiter
//     knows the daily quota is spent.
//   - *[BreakerOpenError] ([ErrBreakerOpen]): failing fast, nothing sent.
//   - *[ResponseTooLargeError] ([ErrResponseTooLarge]).
//   - *[RedirectError] ([ErrRedirectRefused]): the server answered with a
//     redirect the policy below refuses; nothing was sent to the target and
//     nothing is retried.
//   - *[Error]: transport failure of an idempotent request after retries;
//     it unwraps to the cause (context.Canceled, a net error…).
//
// # Redirects
//
// A redirect could replay a patient's body to another server, or hand the
// token to one. So the client follows a redirect only when it is a GET to
// the same scheme, host and port (default ports included) as the request,
// at most 5 in a row, and even then without the credential headers
// (Authorization, Options.AuthHeader, Cookie). Everything else is refused
// with a *[RedirectError] naming the status, the target's scheme://host
// (never its path or query) and why: any non-GET (a 307/308 on a create
// would re-send the body; a 301/302/303 would turn it into a GET), another
// host, another port, another scheme, https→http. The policy is set on a
// copy of Options.HTTPClient, whatever CheckRedirect that client had.
//
// # Limiter
//
// [Limiter] is a sliding log: a request is admitted at time t only if the
// Limit-th previous admission is at least Window (+Margin) before t, so no
// span of Window ever holds more than Limit admissions, whether the server
// counts in fixed or sliding windows. Waiters are served FIFO and woken by
// one timer at a time, so a saturated limiter stays full (the tests require
// ≥95% of the theoretical rate). It adapts to the server (see
// [Limiter.Observe]): X-RateLimit-Max lowers the limit, a longer
// X-RateLimit-Interval-Milliseconds lengthens the window, an
// X-RateLimit-Remaining lower than our own traffic explains is booked as
// foreign traffic, X-RateLimit-Daily-Remaining: 0 makes every waiter fail
// fast until a probe is due, and a 429 pauses the whole tenant.
//
// # Retries
//
// See [RetryPolicy]: 429 for any method; dial failures for any method (the
// request never left); other transport errors and 5xx only for idempotent
// requests ([Request.Idempotency] can mark a read-only POST as idempotent);
// one retry after a 401 when the [Authenticator] is also a [Refresher].
// Waits are capped, jittered exponential backoff or Retry-After, and end at
// once when the context is done.
//
// # Breaker
//
// [Breaker] (sony/gobreaker) opens after consecutive 5xx or transport
// failures; 4xx and 429 answers count as successes and a cancelled context
// counts as nothing.
//
// # Logging
//
// Options.Logger is wrapped by the redact package's handler: sensitive
// attribute keys are masked and strings scrubbed. Records carry the
// operation, method, path (never the query), attempt, status and duration.
// Options.OnAttempt is a hook for metrics.
package transport
