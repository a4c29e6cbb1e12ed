//go:build !unix

package rollback

import "time"

// cpuTime is not measured on this platform; pairs/cpu-s then reads +Inf.
func cpuTime() time.Duration { return 0 }
