package pbnhl

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"time"

	"github.com/pbnhl/pbnhl/highlevel"
	"github.com/pbnhl/pbnhl/rollback"
)

// notApplied starts the reason of an intent whose call had no effect: it
// was refused before being processed, or a lookup after an unknown outcome
// found nothing. Such entries are closed as rejected with HTTP status 0 and
// are not reported as HighLevel rejections.
const notApplied = "not applied: "

// write is one journaled mutating call.
type write struct {
	op       rollback.Op
	objType  string
	key      string
	entity   string
	modified time.Time
	target   string
	related  string
	payload  []byte
	// digest, when set, is the payload digest the id map keeps instead of
	// the payload's own (an update journals its body but is compared by
	// the create form's digest).
	digest string
	before []byte
	// call makes the call and returns the id of what it created or changed.
	call func(ctx context.Context) (string, error)
	// find looks the record up after an unknown outcome: its id and true
	// when the call was applied. It takes no candidate created before
	// notBefore (the intent's time less the clock slack). Nil means the
	// outcome cannot be looked up and the call is safe to repeat
	// (idempotent).
	find func(ctx context.Context, notBefore time.Time) (string, bool, error)
	// exists, when set, recognises a refusal that says the object is
	// already there (a relation made by an earlier attempt whose answer
	// was lost): find then settles the intent, as adopted, instead of a
	// rejection.
	exists func(err error) bool
}

// writeResult is how a journaled write ended for its record.
type writeResult struct {
	id       string
	rejected bool   // HighLevel refused it (4xx), or attempts were exhausted
	reason   string // for rejected
	calls    int    // HighLevel calls made, lookups included
	// looked is set when a lookup settled (or tried to settle) an attempt:
	// the key then goes to the duplicate sweep. since is the time of the
	// first attempt's intent.
	looked bool
	since  time.Time
}

func asAPIError(err error, target **highlevel.APIError) bool { return errors.As(err, target) }

// rejectionReason describes a 4xx answer without field values: the client
// redacts e-mails, phones, dates and tokens from HighLevel's messages.
func rejectionReason(err error) string {
	var dup *highlevel.DuplicateContactError
	if errors.As(err, &dup) {
		return fmt.Sprintf("duplicate of existing contact %s (same %s)", dup.ContactID, dup.MatchingField)
	}
	var ae *highlevel.APIError
	if errors.As(err, &ae) {
		// SafeReason: status, operation, error class and field names,
		// never the values HighLevel's messages quote back.
		msg := ae.SafeReason()
		if len(msg) > 300 {
			msg = msg[:300]
		}
		return msg
	}
	return "refused"
}

// unknownReason names an unknown outcome without values.
func unknownReason(err error) string {
	var ou *highlevel.OutcomeUnknownError
	if errors.As(err, &ou) {
		if s := hlStatus(ou.Err); s != 0 {
			return fmt.Sprintf("outcome unknown: %s answered HTTP %d", ou.Operation, s)
		}
		return fmt.Sprintf("outcome unknown: %s: the connection failed after sending", ou.Operation)
	}
	if s := hlStatus(err); s != 0 {
		return fmt.Sprintf("outcome unknown: HTTP %d", s)
	}
	return "outcome unknown: transport error"
}

// alreadyExists recognises HighLevel's refusal of a link that exists
// ("Relation already exists between …").
func alreadyExists(err error) bool {
	var ae *highlevel.APIError
	if !errors.As(err, &ae) || ae.StatusCode < 400 || ae.StatusCode >= 500 {
		return false
	}
	// HighLevel's wording is matched in code only, never logged or
	// journaled (it may quote values).
	for _, msg := range ae.RawMessages() {
		if strings.Contains(strings.ToLower(msg), "already exists") {
			return true
		}
	}
	return false
}

// isRejection reports a definitive refusal: a 4xx other than 429.
func isRejection(err error) bool {
	s := hlStatus(err)
	return s >= 400 && s < 500 && s != 429
}

// journaledCall journals w's intent, makes the call, journals the outcome and, when
// the outcome is unknown, looks the record up before any retry. It returns
// an error only for what must stop the phase (context, ledger, daily limit
// with StopOnDailyLimit).
func (m *Migration) journaledCall(ctx context.Context, run *rollback.Run, w write) (writeResult, error) {
	var res writeResult
	// The journal is written with a context that cancellation does not
	// cut short: an entry abandoned mid-commit could land after the next
	// phase read the journal. Cancellation is checked between the steps.
	jctx := context.WithoutCancel(ctx)
	var firstRefusal time.Time
	for attempt := 1; ; attempt++ {
		// The call's deadline is fixed before its intent is journaled, and
		// the intent carries deadline + search lag: whatever happens to this
		// process, no lookup settles the intent before that instant.
		deadline, until := m.horizon()
		if attempt == 1 {
			res.since = deadline.Add(-m.opts.RequestTimeout)
		}
		seq, err := run.Intent(jctx, rollback.Intent{Op: w.op, ObjectType: w.objType, SourceKey: w.key, Entity: w.entity,
			SourceModified: w.modified, TargetID: w.target, RelatedID: w.related, Payload: w.payload, PayloadDigest: w.digest, Before: w.before,
			InflightUntil: until})
		if err != nil {
			return res, fmt.Errorf("pbnhl: journal intent: %w", err)
		}
		if ctx.Err() != nil {
			if err := run.Outcome(jctx, seq, rollback.Rejected(0, notApplied+"cancelled before the call")); err != nil {
				return res, fmt.Errorf("pbnhl: journal outcome: %w", err)
			}
			return res, ctx.Err()
		}
		res.calls++
		cctx, cancel := context.WithDeadline(ctx, deadline)
		id, err := w.call(cctx)
		cancel()
		if err == nil {
			if err := run.Outcome(jctx, seq, rollback.Done(id)); err != nil {
				return res, fmt.Errorf("pbnhl: journal outcome: %w", err)
			}
			res.id = id
			return res, nil
		}
		if ctx.Err() != nil {
			// The call may have left: the intent stays pending and the next
			// phase resolves it by lookup before anything is retried.
			return res, ctx.Err()
		}
		switch {
		case errors.Is(err, highlevel.ErrDailyLimit):
			if err := run.Outcome(jctx, seq, rollback.Rejected(0, notApplied+"daily limit spent")); err != nil {
				return res, fmt.Errorf("pbnhl: journal outcome: %w", err)
			}
			if err := m.dailyLimit(ctx, err); err != nil {
				return res, err
			}
			attempt-- // a refusal without sending is not an attempt
			continue
		case refusedBeforeSending(err):
			// Refused without being processed: nothing was sent, so it is
			// not an attempt. The client already spent its own retries; the
			// call is repeated when the client says it will let it through
			// (highlevel.RetryAt: the breaker's cooldown, HighLevel's
			// Retry-After, or at once with its limiter pacing), because a
			// record is never dropped for a refusal (giving up at the
			// client's budget lost records the source holds). Past
			// refusalBudget the phase stops, its run left running, and the
			// next run writes it.
			if err := run.Outcome(jctx, seq, rollback.Rejected(0, notApplied+"refused before processing (circuit open or rate limited)")); err != nil {
				return res, fmt.Errorf("pbnhl: journal outcome: %w", err)
			}
			if firstRefusal.IsZero() {
				firstRefusal = time.Now()
			}
			if time.Since(firstRefusal) > refusalBudget {
				return res, &unsettledError{msg: fmt.Sprintf("pbnhl: HighLevel kept refusing calls before processing them (circuit open or rate limited) for %s; run the phase again", refusalBudget)}
			}
			attempt--
			if err := waitForClient(ctx, err); err != nil {
				return res, err
			}
			continue
		case errors.Is(err, highlevel.ErrNotSent):
			// The source could not give the body (a document's file is
			// missing from the export): nothing left, nothing to look up,
			// and a retry would fail the same way. The record is listed
			// with the reason; the phase goes on.
			res.calls-- // nothing left: the request never started
			reason := notApplied + "the source could not give the file to send"
			if err := run.Outcome(jctx, seq, rollback.Rejected(0, reason)); err != nil {
				return res, fmt.Errorf("pbnhl: journal outcome: %w", err)
			}
			m.log.LogAttrs(ctx, levelWarn, "not sent: the source could not give the file", attrObj(w.objType), attrKey(w.key))
			res.rejected, res.reason = true, reason
			return res, nil
		case errors.Is(err, highlevel.ErrUnauthorized), errors.Is(err, highlevel.ErrRedirectRefused):
			// A refused token (or a redirect we will not follow) is the
			// same for every record: journaling each one as rejected would
			// fill the problems file with records that are fine. HighLevel
			// did not process the call; the phase stops and says why.
			if err := run.Outcome(jctx, seq, rollback.Rejected(0, notApplied+"refused before processing (token refused or redirect refused)")); err != nil {
				return res, fmt.Errorf("pbnhl: journal outcome: %w", err)
			}
			return res, fmt.Errorf("pbnhl: %s %s: %w", w.objType, w.op, err)
		case isRejection(err) && w.exists != nil && w.find != nil && w.exists(err):
			// HighLevel says it is there: find it and record it, adopted
			// (this call did not create it; Undo leaves it to its owner).
			id, found, ferr := w.find(ctx, time.Time{})
			res.calls++
			res.looked = true
			if ferr == nil && found {
				if err := run.Outcome(jctx, seq, rollback.Adopted(id)); err != nil {
					return res, fmt.Errorf("pbnhl: journal outcome: %w", err)
				}
				res.id = id
				return res, nil
			}
			if ctx.Err() != nil {
				return res, ctx.Err()
			}
			fallthrough
		case isRejection(err):
			status := hlStatus(err)
			reason := rejectionReason(err)
			if err := run.Outcome(jctx, seq, rollback.Rejected(status, reason)); err != nil {
				return res, fmt.Errorf("pbnhl: journal outcome: %w", err)
			}
			m.log.LogAttrs(ctx, levelWarn, "rejected", attrObj(w.objType), attrKey(w.key), attrStatus(status))
			res.rejected, res.reason = true, reason
			return res, nil
		}
		// Unknown outcome: the call may have been applied.
		reason := unknownReason(err)
		if err := run.Outcome(jctx, seq, rollback.Unknown(reason)); err != nil {
			return res, fmt.Errorf("pbnhl: journal outcome: %w", err)
		}
		m.log.LogAttrs(ctx, levelInfo, "unknown outcome, resolving by lookup", attrObj(w.objType), attrKey(w.key))
		if w.find != nil {
			// Looked up once search can see what landed so far (the search
			// lag from now): an answer lost after HighLevel applied the
			// write (the usual case: a reset or a gateway's 5xx on the way
			// back) is found then, and the worker goes on. Finding nothing
			// proves nothing while the write may still land: only then does
			// the worker wait for the call's horizon (its deadline plus the
			// search lag) and look again before sending it again. Before,
			// every unknown outcome waited for its horizon, a request
			// timeout (a minute by default) per lost answer.
			visible := time.Now().Add(m.searchLag())
			if visible.After(until) {
				visible = until
			}
			if err := m.waitInflight(ctx, visible, 1); err != nil {
				return res, err
			}
			id, found, ferr := m.lookUp(ctx, w, deadline, &res)
			if ferr == nil && !found && time.Now().Before(until) {
				if err := m.waitInflight(ctx, until, 1); err != nil {
					return res, err
				}
				id, found, ferr = m.lookUp(ctx, w, deadline, &res)
			}
			if ferr != nil {
				if ctx.Err() != nil {
					return res, ctx.Err()
				}
				// Still unknown: the phase settles it at its end (settleLeft),
				// or fails rather than report success with it unknown.
				res.rejected, res.reason = true, "outcome unknown and the lookup failed; settled at the end of the phase"
				return res, nil
			}
			if found {
				if err := m.opts.Ledger.Outcome(jctx, run.ID(), seq, rollback.Done(id)); err != nil {
					return res, fmt.Errorf("pbnhl: journal outcome: %w", err)
				}
				res.id = id
				return res, nil
			}
		}
		if err := m.opts.Ledger.Outcome(jctx, run.ID(), seq, rollback.Rejected(0, notApplied+"not found by lookup after an unknown outcome")); err != nil {
			return res, fmt.Errorf("pbnhl: journal outcome: %w", err)
		}
		if attempt >= m.opts.MaxAttempts {
			res.rejected, res.reason = true, "gave up after repeated unknown outcomes"
			return res, nil
		}
	}
}

// lookUp looks up the write of a call whose outcome is unknown (w.find,
// over records made since the call started), counting its calls in res. A
// lookup that failed proves nothing: it is repeated before the outcome is
// left unknown (the end of the phase settles what still is, or fails the
// phase), for longer than an open circuit breaker refuses calls. A refused
// lookup waits for the client (waitForClient); a failed one, which the
// client already retried, is repeated after a short pause.
func (m *Migration) lookUp(ctx context.Context, w write, deadline time.Time, res *writeResult) (string, bool, error) {
	since := notBefore(deadline.Add(-m.opts.RequestTimeout))
	id, found, ferr := w.find(ctx, since)
	res.calls++
	res.looked = true
	failedAt := time.Now()
	for try := 1; ferr != nil && ctx.Err() == nil && (try < m.opts.MaxAttempts || time.Since(failedAt) < lookupBudget); try++ {
		var werr error
		if refusedBeforeSending(ferr) {
			werr = waitForClient(ctx, ferr)
		} else {
			werr = sleep(ctx, min(time.Duration(try)*200*time.Millisecond, 2*time.Second))
		}
		if werr != nil {
			return "", false, werr
		}
		id, found, ferr = w.find(ctx, since)
		res.calls++
	}
	return id, found, ferr
}

// refusedBeforeSending reports a call the client refused without sending
// it (circuit breaker open, burst limit still hit after its retries).
func refusedBeforeSending(err error) bool {
	_, ok := highlevel.RetryAt(err)
	return ok
}

// waitForClient waits until the client lets a refused call through again
// (highlevel.RetryAt): the transport's policy decides when, not this one.
func waitForClient(ctx context.Context, err error) error {
	at, _ := highlevel.RetryAt(err)
	if d := time.Until(at); d > 0 {
		return sleep(ctx, d)
	}
	return ctx.Err()
}

// refusalBudget is how long a write is repeated while HighLevel's client
// refuses it before sending (circuit breaker open, rate limited) before
// the phase stops; lookupBudget is how long a failing lookup after an
// unknown outcome is repeated. Both outlast the breaker's default 30s
// cooldown.
// They are variables for the tests of this package only.
var (
	refusalBudget = 2 * time.Minute
	lookupBudget  = 45 * time.Second
)

// defaultRequestTimeout bounds a call when the client says nothing: the
// transport's default HTTP timeout.
const defaultRequestTimeout = 2 * time.Minute

// clientRequestTimeout is the client's per-request timeout when it reports
// one (highlevel.Client.RequestTimeout), else defaultRequestTimeout.
func clientRequestTimeout(c any) time.Duration {
	if rt, ok := c.(interface{ RequestTimeout() time.Duration }); ok {
		if d := rt.RequestTimeout(); d > 0 {
			return d
		}
	}
	return defaultRequestTimeout
}

// searchLag is Options.SearchLag as New resolved it: DefaultSearchLag for
// 0, zero for NoSearchLag.
func (m *Migration) searchLag() time.Duration { return m.opts.SearchLag }

// horizon returns the deadline of a call about to be journaled and the
// instant after which it can no longer be in flight (the deadline plus
// HighLevel's search lag), both on the wall clock: they bound real time,
// whatever Options.Now says.
func (m *Migration) horizon() (deadline, until time.Time) {
	deadline = time.Now().Add(m.opts.RequestTimeout)
	return deadline, deadline.Add(m.searchLag())
}

// inflightUntil is an entry's horizon: the journaled one, or for intents
// journaled without one (older ledgers, other writers) the intent time
// plus this migration's request timeout and search lag.
func (m *Migration) inflightUntil(e rollback.Entry) time.Time {
	if !e.InflightUntil.IsZero() {
		return e.InflightUntil
	}
	return e.IntentAt.Add(m.opts.RequestTimeout + m.searchLag())
}

// waitInflight waits until until: n writes may still be in flight until
// then. A wait longer than a second is logged (warn, counts only) and
// every wait is counted in Progress.Waiting, so a person watching sees why
// nothing moves.
func (m *Migration) waitInflight(ctx context.Context, until time.Time, n int) error {
	d := time.Until(until)
	if d <= 0 {
		return nil
	}
	if d >= time.Second {
		m.log.LogAttrs(ctx, levelWarn, "waiting for writes that may still be in flight before looking them up",
			attrCount("writes", n), attrDuration(d))
	}
	m.inflightWaiting.Add(int64(n))
	defer m.inflightWaiting.Add(-int64(n))
	return sleep(ctx, d)
}

// dailyLimit pauses until the quota resets, or stops the phase. Every
// worker that meets the limit waits for the same instant.
func (m *Migration) dailyLimit(ctx context.Context, err error) error {
	var rl *highlevel.RateLimitError
	var at time.Time
	if errors.As(err, &rl) {
		at = rl.RetryAt
		if at.IsZero() && rl.RetryAfter > 0 {
			// HighLevel's refusal said how long (Retry-After): the
			// limiter's own refusals carry a time instead.
			at = time.Now().Add(rl.RetryAfter)
		}
	}
	if m.opts.DailyLimit == StopOnDailyLimit {
		return &DailyLimitError{ResumeAt: at, Err: err}
	}
	now := time.Now()
	m.pauseMu.Lock()
	started := false
	if !m.resumeAt.After(now) {
		if at.IsZero() || !at.After(now) {
			at = now.Add(m.opts.DailyLimitWait)
		}
		m.resumeAt = at
		started = true
		// The resume time, so a person watching a long run knows when it goes on.
		m.log.LogAttrs(ctx, levelWarn, "daily API limit spent, pausing", attrDuration(at.Sub(now)), slog.Time("resume_at", at.UTC()))
	}
	resume := m.resumeAt
	m.pauseMu.Unlock()
	if started && m.opts.OnDailyLimitPause != nil {
		m.opts.OnDailyLimitPause(resume)
	}
	return sleep(ctx, resume.Sub(now))
}

// sleep waits d or until ctx is done.
func sleep(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}

// pauseGate is embedded in Migration so that one pause serves every worker.
type pauseGate struct {
	pauseMu  sync.Mutex
	resumeAt time.Time
}
