package pbnhl

import "time"

// SetLookupBudget shortens how long a failing lookup after an unknown
// outcome is repeated, for a test; it returns the restore.
func SetLookupBudget(d time.Duration) (restore func()) {
	old := lookupBudget
	lookupBudget = d
	return func() { lookupBudget = old }
}
