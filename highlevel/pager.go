package highlevel

import "iter"

// defaultPageSize is the limit of each listing call unless an option says
// otherwise (HighLevel's own default and maximum for these endpoints).
const defaultPageSize = 100

// pageSize returns n, or the default when n is not positive.
func pageSize(n int) int {
	if n <= 0 {
		return defaultPageSize
	}
	return n
}

// pages iterates over a skip/limit (or offset/limit) listing, one page in
// memory at a time: fetch returns the page of at most size items starting
// at skip, and the total HighLevel reports (nil when the endpoint tells
// none). The listing ends after a short page, or once skip plus the page
// reaches the total — a full last page would otherwise cost one more call
// answering nothing. A fetch error is yielded once and ends the listing;
// so does the caller stopping.
func pages[T any](size int, fetch func(skip int) (items []T, total *float64, err error)) iter.Seq2[T, error] {
	return func(yield func(T, error) bool) {
		for skip := 0; ; skip += size {
			items, total, err := fetch(skip)
			if err != nil {
				var zero T
				yield(zero, err)
				return
			}
			for _, it := range items {
				if !yield(it, nil) {
					return
				}
			}
			if len(items) < size || (total != nil && skip+len(items) >= int(*total)) {
				return
			}
		}
	}
}

// failed is a listing that yields err alone: an argument refused before
// any call.
func failed[T any](err error) iter.Seq2[T, error] {
	return func(yield func(T, error) bool) {
		var zero T
		yield(zero, err)
	}
}
