package practicebynumbers_test

import pbn "github.com/pbnhl/pbnhl/practicebynumbers"

// keyNum is a numeric key as a number (0 when the key is not one).
func keyNum(k pbn.Key) int64 {
	n, _ := k.Int()
	return n
}
