package hltest

import (
	"bufio"
	"io"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// reqLog is the served-requests counter and the optional request log
// stream (Options.RequestLogTo). The in-memory RequestLog is capped
// (Options.RequestLogLimit); the counter and the stream are not, so a run
// of any length is counted exactly and can be broken down afterwards.
type reqLog struct {
	served atomic.Int64

	mu  sync.Mutex
	w   *bufio.Writer // nil without Options.RequestLogTo
	err error         // the first write error; the stream stops there
	buf []byte
}

func newReqLog(w io.Writer) *reqLog {
	l := &reqLog{}
	if w != nil {
		// Buffered: a line per request must not cost a write syscall per
		// request. FlushRequestLog (and Close) empty the buffer.
		l.w = bufio.NewWriterSize(w, 64<<10)
	}
	return l
}

// add counts rec and, with a stream, writes its line:
//
//	{"time":"2026-12-04T20:50:01.123456Z","method":"POST","route":"/contacts/","status":201,"durationMs":1.234,"locationId":"…","fault":"…"}
//
// route is the route's template (/contacts/{contactId}), never the path: no
// id, search term or e-mail reaches the file, and neither do bodies,
// headers (tokens) or query strings. A request that matched no route has
// route "". locationId and fault are left out when empty.
func (l *reqLog) add(rec *RequestRecord) {
	l.served.Add(1)
	if l.w == nil {
		return
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.err != nil {
		return
	}
	b := l.buf[:0]
	b = append(b, `{"time":"`...)
	b = rec.Time.UTC().AppendFormat(b, time.RFC3339Nano)
	b = append(b, `","method":`...)
	b = appendJSONString(b, rec.Method)
	b = append(b, `,"route":`...)
	b = appendJSONString(b, strings.TrimPrefix(rec.Route, rec.Method+" "))
	b = append(b, `,"status":`...)
	b = strconv.AppendInt(b, int64(rec.Status), 10)
	b = append(b, `,"durationMs":`...)
	b = strconv.AppendFloat(b, float64(rec.Duration.Microseconds())/1000, 'f', -1, 64)
	if rec.LocationID != "" {
		b = append(b, `,"locationId":`...)
		b = appendJSONString(b, rec.LocationID)
	}
	if rec.Fault != "" {
		b = append(b, `,"fault":`...)
		b = appendJSONString(b, rec.Fault)
	}
	b = append(b, "}\n"...)
	l.buf = b
	_, l.err = l.w.Write(b)
}

// appendJSONString appends s as a JSON string. The values written here
// are methods, route templates, ids and fault names; anything outside
// printable ASCII is escaped all the same, so a line is always valid JSON.
func appendJSONString(b []byte, s string) []byte {
	const hex = "0123456789abcdef"
	b = append(b, '"')
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c == '"' || c == '\\':
			b = append(b, '\\', c)
		case c < 0x20 || c >= 0x7f:
			b = append(b, '\\', 'u', '0', '0', hex[c>>4], hex[c&0xf])
		default:
			b = append(b, c)
		}
	}
	return append(b, '"')
}

func (l *reqLog) flush() error {
	if l.w == nil {
		return nil
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.err != nil {
		return l.err
	}
	l.err = l.w.Flush()
	return l.err
}

// Served returns how many requests the simulator has answered (or
// dropped, as a fault) since it started: every request RequestLog would
// list, counted exactly however many the capped log has forgotten.
// Inspection routes served beside the simulator (examples/hlsim) are not
// requests to it and are not counted.
func (s *Server) Served() int64 { return s.reqs.served.Load() }

// FlushRequestLog writes out what the request log stream
// (Options.RequestLogTo) holds in its buffer. It returns the stream's
// first write error, after which nothing more was written. Close flushes
// too; a long-running host (examples/hlsim) also flushes periodically so
// the file can be followed.
func (s *Server) FlushRequestLog() error { return s.reqs.flush() }
