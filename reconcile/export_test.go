package reconcile

// Bisect returns opts with contacts fingerprinted in buckets whatever
// reading them all would cost: the bisection tested at a test's size.
func Bisect(opts Options) Options {
	opts.bisect = true
	return opts
}
