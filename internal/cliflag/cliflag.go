// Package cliflag is the command-line convention the example simulators
// (hlsim, pbnsim) share: -h is a request (the usage on stdout, exit 0); a
// mistyped flag or a bad value is a mistake (one line and a hint on
// stderr, exit 2, as the flag package's own programs exit) — not the
// whole usage, so the mistake stays on screen; any other failure exits 1.
package cliflag

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
)

// UsageError is a command line the flag set refused (an unknown flag, a
// bad value, arguments left over): Exit ends with 2 and a hint instead of
// 1.
type UsageError struct{ Err error }

func (e UsageError) Error() string { return e.Err.Error() }
func (e UsageError) Unwrap() error { return e.Err }

// NewFlagSet is a flag set that prints nothing itself: the flag package
// would print the whole usage on any mistake; Parse writes it for -h only.
func NewFlagSet(name string) *flag.FlagSet {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	return fs
}

// Parse parses args with fs. -h writes "Usage: <name> [flags]", about and
// the flags to out and returns flag.ErrHelp; a refused flag, or arguments
// left over, returns a UsageError.
func Parse(fs *flag.FlagSet, args []string, out io.Writer, about string) error {
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			fmt.Fprintf(out, "Usage: %s [flags]\n\n%s\n\nFlags:\n", fs.Name(), about)
			fs.SetOutput(out)
			fs.PrintDefaults()
			fs.SetOutput(io.Discard)
			return err
		}
		return UsageError{err}
	}
	if fs.NArg() > 0 {
		return UsageError{fmt.Errorf("unexpected arguments %q", fs.Args())}
	}
	return nil
}

// Exit ends the command name after its run returned err: it returns for
// nil and flag.ErrHelp (asking for help is not a failure); otherwise it
// writes "name: err" to stderr and exits 2 with a hint for a UsageError,
// 1 for anything else.
func Exit(name string, err error) {
	if err == nil || errors.Is(err, flag.ErrHelp) {
		return
	}
	fmt.Fprintln(os.Stderr, name+":", err)
	var ue UsageError
	if errors.As(err, &ue) {
		fmt.Fprintf(os.Stderr, "Run '%s -h' for the flags.\n", name)
		os.Exit(2)
	}
	os.Exit(1)
}
