//go:build !unix

package hltest

import "time"

func cpuTime() time.Duration { return 0 }
