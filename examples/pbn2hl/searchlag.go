package main

import (
	"fmt"
	"strings"
	"time"

	"github.com/pbnhl/pbnhl"
)

// searchLagValue is -search-lag with the library's one meaning of
// Options.SearchLag: 0 (or no flag) is the default, "none" is none, a
// duration is itself. It stores the Options value as is, so the CLI never
// translates between two meanings.
type searchLagValue struct{ d *time.Duration }

func (v searchLagValue) String() string {
	switch {
	case v.d == nil:
		return "" // the flag package's zero value, for its help
	case *v.d < 0:
		return "none"
	case *v.d == 0:
		return pbnhl.DefaultSearchLag.String()
	}
	return v.d.String()
}

// Type names the value in the help ("--search-lag duration").
func (v searchLagValue) Type() string { return "duration" }

func (v searchLagValue) Set(s string) error {
	if strings.EqualFold(strings.TrimSpace(s), "none") {
		*v.d = pbnhl.NoSearchLag
		return nil
	}
	d, err := time.ParseDuration(s)
	if err != nil {
		return fmt.Errorf(`%q is neither a duration nor "none"`, s)
	}
	if d < 0 {
		return fmt.Errorf(`a negative duration: say "none" for no lag`)
	}
	*v.d = d // 0: the library's default
	return nil
}
