//go:build !unix

package rollback

// processAlive cannot probe another process here: unknown, so a run held
// by another process is never closed as interrupted automatically.
func processAlive(int) (alive, known bool) { return false, false }

func processStart(int) string { return "" }
