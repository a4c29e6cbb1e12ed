package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"slices"
	"strings"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/pbnhl/pbnhl/internal/nearest"
)

// tree is one invocation's command tree (spf13/cobra): a subcommand per
// command with its own flags — only those it uses — bound to its own cli,
// plus cobra's help and completion commands. It is built per call of
// run, so nothing is shared between invocations (tests run many).
type tree struct {
	root   *cobra.Command
	stderr io.Writer
	// clis: each command's cli, by name.
	clis map[string]*cli
	// code is the exit code the command that ran chose.
	code int
}

// newTree builds the tree over the streams (already line-locked).
func newTree(getenv env, stdout, stderr io.Writer, hc *http.Client) *tree {
	t := &tree{stderr: stderr, clis: map[string]*cli{}}
	root := &cobra.Command{
		Use:           "pbn2hl",
		Short:         "move a dental practice from Practice by Numbers to HighLevel",
		SilenceErrors: true, // exit codes and messages are ours (reportError)
		SilenceUsage:  true, // a mistake prints one line and the way to the help, not the help
		// An unknown command suggests the nearest (execute).
		SuggestionsMinimumDistance: 2,
	}
	root.SetOut(stdout)
	root.SetErr(stderr)
	cobraHelp := root.HelpFunc()
	root.SetHelpFunc(func(cc *cobra.Command, args []string) {
		switch c := t.clis[cc.Name()]; {
		case cc == root:
			usage(cc.OutOrStdout())
		case c != nil && cc.Parent() == root:
			c.help(c.def, cc.OutOrStdout())
		default: // completion and its shells
			cobraHelp(cc, args)
		}
	})
	// A flag's bad value or missing argument: a usage error (exit 2).
	root.SetFlagErrorFunc(func(cc *cobra.Command, err error) error {
		return &flagError{cmd: cc.Name(), err: err}
	})
	actor := defaultActor()
	for _, def := range commands {
		c := &cli{cmd: def.name, def: def, stdout: stdout, stderr: stderr, getenv: getenv, httpClient: hc,
			cfg: defaults(actor)}
		cc := &cobra.Command{
			Use:   def.name,
			Short: def.summary,
			Args: func(cc *cobra.Command, args []string) error {
				if len(args) > 0 {
					return &flagError{cmd: cc.Name(), err: fmt.Errorf("unexpected arguments %q", args)}
				}
				return nil
			},
			RunE: func(cc *cobra.Command, _ []string) error {
				t.code = c.execute(cc.Context(), def)
				return nil
			},
			// No file names to complete after a command: its input comes
			// through flags (whose values the shell completes as files).
			ValidArgsFunction: cobra.NoFileCompletions,
		}
		c.flags = cc.Flags()
		c.sharedFlags(def)
		if def.setup != nil {
			def.setup(c)
		}
		cc.InitDefaultHelpFlag() // -h, --help: known to normaliseArgs
		completeValues(cc)
		root.AddCommand(cc)
		t.clis[def.name] = c
	}
	root.SetHelpCommand(&cobra.Command{
		Use:   "help [command]",
		Short: "this text; pbn2hl help <command> is the command's -h",
		RunE: func(cc *cobra.Command, args []string) error {
			if len(args) == 0 {
				usage(cc.OutOrStdout())
				return nil
			}
			target, rest, err := root.Find(args)
			if err != nil || target == root || len(rest) > 0 {
				return t.unknownCommand(args[0])
			}
			return target.Help()
		},
		ValidArgsFunction: func(*cobra.Command, []string, string) ([]string, cobra.ShellCompDirective) {
			names := make([]string, len(commands))
			for i, c := range commands {
				names[i] = c.name
			}
			return names, cobra.ShellCompDirectiveNoFileComp
		},
	})
	root.InitDefaultHelpCmd()
	root.InitDefaultCompletionCmd()
	for _, cc := range root.Commands() {
		if cc.Name() == "completion" {
			// Without a shell cobra shows the help; an unknown shell is a
			// usage error (cobra would show the help and exit 0).
			cc.Args = cobra.ArbitraryArgs
			cc.RunE = func(cc *cobra.Command, args []string) error {
				if len(args) == 0 {
					return cc.Help()
				}
				return &flagError{cmd: "completion", err: fmt.Errorf("unknown shell %q: bash, zsh, fish or powershell", args[0])}
			}
		}
	}
	t.root = root
	return t
}

// execute parses args (the command name first) and runs the command.
func (t *tree) execute(ctx context.Context, args []string) int {
	name := args[0]
	var sub *cobra.Command
	for _, cc := range t.root.Commands() {
		if cc.Name() == name {
			sub = cc
		}
	}
	if sub == nil && !strings.HasPrefix(name, "__complete") { // cobra's hidden completion helpers
		return t.reportError(t.unknownCommand(name))
	}
	rest := args[1:]
	if t.clis[name] != nil {
		var err error
		if rest, err = normaliseArgs(name, sub.Flags(), rest); err != nil {
			return t.reportError(err)
		}
	}
	if strings.HasPrefix(name, "__complete") {
		rest = t.completionArgs(rest)
	}
	t.root.SetArgs(append([]string{name}, rest...))
	if err := t.root.ExecuteContext(ctx); err != nil {
		return t.reportError(err)
	}
	return t.code
}

// completionArgs gives the shell's completion request (the command line
// so far, then the word being completed) the same one-dash reading as a
// command line: the flags typed before the word are normalised (left as
// they are when they do not parse: completion never fails loudly), and a
// word "-na" being completed asks for the long flags "--na...".
func (t *tree) completionArgs(args []string) []string {
	if len(args) < 2 {
		return args
	}
	c := t.clis[args[0]]
	if c == nil {
		return args
	}
	out := []string{args[0]}
	typed := args[1 : len(args)-1]
	if norm, err := normaliseArgs(args[0], c.flags, typed); err == nil {
		typed = norm
	}
	out = append(out, typed...)
	word := args[len(args)-1]
	if len(word) > 2 && word[0] == '-' && word[1] != '-' {
		word = "-" + word
	}
	return append(out, word)
}

// unknownCommand is the error of a command name pbn2hl does not have,
// with the nearest one it has.
func (t *tree) unknownCommand(name string) error {
	msg := fmt.Sprintf("unknown command %q", name)
	if s := t.root.SuggestionsFor(name); len(s) > 0 {
		msg += fmt.Sprintf(" (did you mean %q?)", s[0])
	}
	return &commandError{msg: msg}
}

// commandError is an unknown command (exit 2).
type commandError struct{ msg string }

func (e *commandError) Error() string { return e.msg }

// reportError prints a parse error: one line, and the way to the help.
func (t *tree) reportError(err error) int {
	var ce *commandError
	if errors.As(err, &ce) {
		fmt.Fprintf(t.stderr, "pbn2hl: %s\nrun 'pbn2hl -h' for the commands\n", ce.msg)
		return exitUsage
	}
	var fe *flagError
	if errors.As(err, &fe) {
		fmt.Fprintf(t.stderr, "pbn2hl %s: %v\nRun 'pbn2hl %s -h' for its flags.\n", fe.cmd, fe.err, fe.cmd)
		return exitUsage
	}
	// completion's own checks (an unknown shell) and the like.
	fmt.Fprintf(t.stderr, "pbn2hl: %v\nrun 'pbn2hl -h' for the commands\n", err)
	return exitUsage
}

// flagError is a mistake in a command's flags or arguments (exit 2).
type flagError struct {
	cmd string
	err error
}

func (e *flagError) Error() string { return e.cmd + ": " + e.err.Error() }

// normaliseArgs keeps the single-dash long flags of the README, scripts
// and habit (-ledger x, -hl-rate=0.5) working under pflag, which reads
// them as runs of one-letter flags: a "-name" (or "-name=value") becomes
// "--name". One-letter flags (-v, -h, -o) are left as they are, the value
// after a flag that takes one is copied untouched (so "-by -x" keeps its
// "-x"), and nothing after "--" is changed. A long flag the command does
// not have is refused here, as typed, with the nearest flag it does have.
func normaliseArgs(cmd string, fs *pflag.FlagSet, args []string) ([]string, error) {
	out := make([]string, 0, len(args))
	for i := 0; i < len(args); i++ {
		a := args[i]
		if a == "--" {
			return append(out, args[i:]...), nil
		}
		if len(a) < 2 || a[0] != '-' {
			out = append(out, a) // an argument (refused by the command) or "-"
			continue
		}
		body := strings.TrimPrefix(strings.TrimPrefix(a, "-"), "-")
		name, _, hasValue := strings.Cut(body, "=")
		if !strings.HasPrefix(a, "--") && len(name) == 1 {
			// A one-letter flag: pflag's own (-v, -o FILE, -h).
			out = append(out, a)
			if f := fs.ShorthandLookup(name); f != nil && f.NoOptDefVal == "" && !hasValue && len(body) == 1 && i+1 < len(args) {
				i++
				out = append(out, args[i])
			}
			continue
		}
		f := fs.Lookup(name)
		if f == nil {
			return nil, &flagError{cmd: cmd, err: unknownFlag(fs, a, name)}
		}
		out = append(out, "--"+body)
		if f.NoOptDefVal == "" && !hasValue && i+1 < len(args) {
			// The flag's value, whatever it looks like.
			i++
			out = append(out, args[i])
		}
	}
	return out, nil
}

// unknownFlag says which flag is not the command's, as typed, with the
// nearest one it has.
func unknownFlag(fs *pflag.FlagSet, typed, name string) error {
	if eq := strings.IndexByte(typed, '='); eq >= 0 {
		typed = typed[:eq]
	}
	if strings.Contains(strings.ToLower(name), "token") {
		return fmt.Errorf("unknown flag %s: tokens are read from the environment only ($%s, $%s), never from a flag", typed, envHLToken, envPBNToken)
	}
	best, bestDist := "", 3 // at most two edits away
	fs.VisitAll(func(f *pflag.Flag) {
		if d := nearest.Distance(name, f.Name); d < bestDist {
			best, bestDist = f.Name, d
		}
	})
	if best != "" {
		return fmt.Errorf("unknown flag %s (did you mean -%s?)", typed, best)
	}
	return fmt.Errorf("unknown flag %s", typed)
}

// valueChoices are the flags whose values are a fixed set: the shell
// completes them.
var valueChoices = map[string][]string{
	"from":           {"proposer", "default"},
	"deletions":      {"keep", "mirror"},
	"format":         {"jsonl", "csv"},
	"on-daily-limit": {"pause", "stop"},
	"progress":       {"auto", "live", "lines"},
	"search-lag":     {"none"},
}

// completeValues registers the completion of cc's fixed-choice flags.
func completeValues(cc *cobra.Command) {
	cc.Flags().VisitAll(func(f *pflag.Flag) {
		choices, ok := valueChoices[f.Name]
		if !ok {
			return
		}
		choices = slices.Clone(choices)
		_ = cc.RegisterFlagCompletionFunc(f.Name, func(_ *cobra.Command, _ []string, word string) ([]string, cobra.ShellCompDirective) {
			var match []string
			for _, v := range choices {
				if strings.HasPrefix(v, word) {
					match = append(match, v)
				}
			}
			return match, cobra.ShellCompDirectiveNoFileComp
		})
	})
}
