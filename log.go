package pbnhl

import (
	"log/slog"
	"time"
)

// Log attributes carry object names, source keys (ids), statuses and
// counts, never field values.
const (
	levelInfo = slog.LevelInfo
	levelWarn = slog.LevelWarn
)

func attrObj(t string) slog.Attr             { return slog.String("object", t) }
func attrKey(k string) slog.Attr             { return slog.String("source_key", k) }
func attrStatus(s int) slog.Attr             { return slog.Int("status", s) }
func attrDuration(d time.Duration) slog.Attr { return slog.Duration("wait", d) }
func attrCount(name string, n int) slog.Attr { return slog.Int(name, n) }
func attrRun(id int64) slog.Attr             { return slog.Int64("run", id) }
