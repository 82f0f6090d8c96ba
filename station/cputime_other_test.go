//go:build !unix

package station

import "time"

// cpuTime is not measured without getrusage(2): the benchmark reports 0.
func cpuTime() time.Duration { return 0 }
