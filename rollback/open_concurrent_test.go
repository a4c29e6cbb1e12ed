package rollback

import (
	"context"
	"sync"
	"testing"
)

// TestOpenConcurrently opens several ledgers at once in one process, as a
// service running several migrations does. Open used to complete the
// package's table of prepared statements on every call, a data race the
// race detector caught in reconcile's parallel tests (go test -race).
func TestOpenConcurrently(t *testing.T) {
	eachBackend(t, func(t *testing.T) {
		ctx := context.Background()
		var locs [4]string
		for i := range locs {
			locs[i] = newLocation(t)
		}
		var wg sync.WaitGroup
		errs := make(chan error, 4)
		for i := range 4 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				l, err := Open(ctx, locs[i], Options{Key: testKey(byte(20 + i)), Logger: quietLogger()})
				if err != nil {
					errs <- err
					return
				}
				errs <- l.Close()
			}()
		}
		wg.Wait()
		close(errs)
		for err := range errs {
			if err != nil {
				t.Fatal(err)
			}
		}
	})
}
