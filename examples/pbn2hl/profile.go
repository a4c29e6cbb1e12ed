package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"go.yaml.in/yaml/v3"

	"github.com/pbnhl/pbnhl"
	"github.com/pbnhl/pbnhl/internal/nearest"
	"github.com/pbnhl/pbnhl/internal/privatefile"
	"github.com/pbnhl/pbnhl/rollback"
)

// A profile holds the connection flags every command repeats — the
// location, the company, the source, the ledger, the rate share, the map —
// in a YAML file, so that
//
//	pbn2hl init -profile acme -location L -export ./export -ledger acme.ledger -map map.yaml
//	pbn2hl preflight -profile acme
//	pbn2hl run -profile acme -hl-rate 50/10s     # a flag overrides the profile
//
// Its keys are the flags' names. It never holds a token: tokens stay in the
// environment ($HL_TOKEN, $PBN_TOKEN, the OAuth app's variables), and a
// file with a key named like a credential (token, secret, password, key)
// is refused, as is a value that looks like a token. A key the profile
// does not know is refused with its name and line (a typo would otherwise
// be ignored in silence). Relative paths in the file are relative to the
// file's directory.
//
// -profile NAME reads $PBN2HL_PROFILE_DIR/NAME.yaml, or NAME.yaml under
// the user's configuration directory (os.UserConfigDir()/pbn2hl: on Linux
// ~/.config/pbn2hl); -profile PATH (ending in .yaml or .yml, or with a
// directory) reads that file.

// envProfileDir is where -profile NAME looks instead of the user's
// configuration directory.
const envProfileDir = "PBN2HL_PROFILE_DIR"

// defaultProfile is the name init writes when -profile is not given.
const defaultProfile = "default"

// Profile is one profile file. Empty fields are not in the file and set
// nothing. No field holds a credential.
type Profile struct {
	Location       string `yaml:"location,omitempty"`
	Company        string `yaml:"company,omitempty"`
	HLURL          string `yaml:"hl-url,omitempty"`
	HLOAuthStore   string `yaml:"hl-oauth-store,omitempty"` // the OAuth token file's path, not a token
	HLRate         string `yaml:"hl-rate,omitempty"`
	SearchLag      string `yaml:"search-lag,omitempty"`
	Concurrency    string `yaml:"concurrency,omitempty"`
	RequestTimeout string `yaml:"request-timeout,omitempty"`
	OnDailyLimit   string `yaml:"on-daily-limit,omitempty"`
	FallbackOwner  string `yaml:"fallback-owner,omitempty"`
	// ConversationProvider is the location's conversation provider id
	// (an id, not a credential).
	ConversationProvider string `yaml:"conversation-provider,omitempty"`
	PBNURL               string `yaml:"pbn-url,omitempty"`
	Export               string `yaml:"export,omitempty"`
	Encoding             string `yaml:"encoding,omitempty"`
	Ledger               string `yaml:"ledger,omitempty"`
	LedgerKeyFile        string `yaml:"ledger-key-file,omitempty"` // the key file's path, never the key
	Map                  string `yaml:"map,omitempty"`
	// OutDir is where run, delta and sample write their side files
	// (sidefiles.go).
	OutDir string `yaml:"out-dir,omitempty"`
	Actor  string `yaml:"actor,omitempty"`
}

// profileField is one key of the file: the flag of that name, and whether
// its value is a path (resolved against the file's directory).
type profileField struct {
	name  string
	path  bool
	value func(*Profile) *string
	usage string // init's help for the flag
}

// profileFields in the order init writes them.
var profileFields = []profileField{
	{"location", false, func(p *Profile) *string { return &p.Location }, "HighLevel location (sub-account) id"},
	{"company", false, func(p *Profile) *string { return &p.Company }, "HighLevel agency (company) id"},
	{"hl-url", false, func(p *Profile) *string { return &p.HLURL }, "HighLevel API root"},
	{"hl-oauth-store", true, func(p *Profile) *string { return &p.HLOAuthStore }, "OAuth token file's `PATH` (the file, not a token)"},
	{"hl-rate", false, func(p *Profile) *string { return &p.HLRate }, "requests per window this tool may spend, e.g. 50/10s"},
	{"search-lag", false, func(p *Profile) *string { return &p.SearchLag }, "how long HighLevel's search takes to see a new record, a duration or \"none\""},
	{"concurrency", false, func(p *Profile) *string { return &p.Concurrency }, "calls in flight at once"},
	{"request-timeout", false, func(p *Profile) *string { return &p.RequestTimeout }, "longest a call to HighLevel may take"},
	{"on-daily-limit", false, func(p *Profile) *string { return &p.OnDailyLimit }, "\"pause\" or \"stop\""},
	{"fallback-owner", false, func(p *Profile) *string { return &p.FallbackOwner }, "e-mail or id of the HighLevel user who owns records whose staff member has no user"},
	{"conversation-provider", false, func(p *Profile) *string { return &p.ConversationProvider }, "the conversationProviderId of migrated messages (HighLevel Conversations) when the map gives none"},
	{"pbn-url", false, func(p *Profile) *string { return &p.PBNURL }, "Practice by Numbers API root (its token stays in $PBN_TOKEN)"},
	{"export", true, func(p *Profile) *string { return &p.Export }, "Practice by Numbers CSV export folder"},
	{"encoding", false, func(p *Profile) *string { return &p.Encoding }, "the export's text encoding, e.g. windows-1252"},
	{"ledger", true, func(p *Profile) *string { return &p.Ledger }, "run ledger: a SQLite `FILE` or a postgres://HOST/DB URL (no password: $PGPASSWORD or ~/.pgpass)"},
	{"ledger-key-file", true, func(p *Profile) *string { return &p.LedgerKeyFile }, "the ledger key file's `PATH` (the file, never the key)"},
	{"map", true, func(p *Profile) *string { return &p.Map }, "field map `FILE`"},
	{"out-dir", true, func(p *Profile) *string { return &p.OutDir }, "the `DIR` run, delta and sample write their success and problems CSVs and sample report into (default beside the ledger file; beside the map for a postgres:// ledger)"},
	{"actor", false, func(p *Profile) *string { return &p.Actor }, "who runs the commands, recorded on every run"},
}

// profileFlagNames are the flags a profile may hold, in file order.
func profileFlagNames() []string {
	names := make([]string, len(profileFields))
	for i, f := range profileFields {
		names[i] = f.name
	}
	return names
}

// credentialKey matches a key named like a credential. ledger-key-file is
// a known key (a path), checked before this.
var credentialKey = regexp.MustCompile(`(?i)token|secret|passw|key|credential|api-?key|auth`)

// looksLikeToken reports a value shaped like a HighLevel Private
// Integration token ("pit-…"), a JWT (an OAuth access token), or a raw
// 32-byte key in hex: a credential pasted into the wrong key.
func looksLikeToken(v string) bool {
	v = strings.TrimSpace(v)
	switch {
	case strings.HasPrefix(v, "pit-"):
		return true
	case strings.HasPrefix(v, "eyJ") && strings.Count(v, ".") == 2:
		return true
	case hexKey.MatchString(v):
		return true
	}
	return false
}

var hexKey = regexp.MustCompile(`^[0-9a-fA-F]{64}$`)

// profilePath is where ref points: a path as it is when it ends in .yaml
// or .yml or names a directory, else NAME.yaml in $PBN2HL_PROFILE_DIR or
// the user's configuration directory.
func profilePath(ref string, getenv env) (string, error) {
	if ref == "" {
		return "", errors.New("-profile: give a profile name or a .yaml path")
	}
	ext := strings.ToLower(filepath.Ext(ref))
	if ext == ".yaml" || ext == ".yml" || strings.ContainsRune(ref, '/') || strings.ContainsRune(ref, filepath.Separator) {
		return ref, nil
	}
	if strings.HasPrefix(ref, ".") {
		return "", fmt.Errorf("-profile %q: a profile name may not start with a dot", ref)
	}
	if dir := getenv(envProfileDir); dir != "" {
		return filepath.Join(dir, ref+".yaml"), nil
	}
	dir, err := os.UserConfigDir()
	if err != nil {
		return "", fmt.Errorf("-profile %s: no configuration directory to look in (%v): set $%s or give a .yaml path", ref, err, envProfileDir)
	}
	return filepath.Join(dir, "pbn2hl", ref+".yaml"), nil
}

// loadProfile reads the profile ref names (see profilePath) and returns it
// with the file's path. Relative paths in it are made relative to the
// file's directory.
func loadProfile(ref string, getenv env) (Profile, string, error) {
	path, err := profilePath(ref, getenv)
	if err != nil {
		return Profile{}, "", err
	}
	b, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return Profile{}, path, fmt.Errorf("profile %s: no such file (write one with: pbn2hl init -profile %s -location ... -ledger ...)", path, ref)
	}
	if err != nil {
		return Profile{}, path, fmt.Errorf("profile: %w", err)
	}
	p, err := parseProfile(b)
	if err != nil {
		return Profile{}, path, fmt.Errorf("profile %s: %w", path, err)
	}
	dir := filepath.Dir(path)
	for _, f := range profileFields {
		if v := f.value(&p); f.path && *v != "" {
			*v, _ = profilePathValue(*v, func(rel string) (string, error) { return filepath.Join(dir, rel), nil })
		}
	}
	return p, path, nil
}

// profilePathValue makes a path-valued key absolute with abs (relative to
// the profile's directory when read, to the working directory when init
// writes it). A postgres:// ledger is a URL, not a path: kept as given;
// sqlite:PATH keeps its prefix, its PATH made absolute.
func profilePathValue(v string, abs func(string) (string, error)) (string, error) {
	if isPostgresLedger(v) {
		return v, nil
	}
	prefix := ""
	if strings.HasPrefix(strings.ToLower(v), "sqlite:") {
		prefix, v = v[:len("sqlite:")], v[len("sqlite:"):]
	}
	if filepath.IsAbs(v) {
		return prefix + v, nil
	}
	a, err := abs(v)
	if err != nil {
		return "", err
	}
	return prefix + a, nil
}

// parseProfile reads a profile's YAML: one mapping of known keys to
// scalar values. A key named like a credential, a value that looks like
// one, an unknown or repeated key and a nested value are errors naming the
// key and its line (never the value).
func parseProfile(b []byte) (Profile, error) {
	var p Profile
	var doc yaml.Node
	if err := yaml.Unmarshal(b, &doc); err != nil {
		return p, fmt.Errorf("not YAML: %w", err)
	}
	if doc.Kind == 0 || len(doc.Content) == 0 {
		return p, nil // an empty file sets nothing
	}
	root := doc.Content[0]
	if root.Kind != yaml.MappingNode {
		return p, fmt.Errorf("line %d: want keys and values (location: ..., ledger: ...), not a %s", root.Line, nodeKind(root))
	}
	known := map[string]profileField{}
	for _, f := range profileFields {
		known[f.name] = f
	}
	seen := map[string]bool{}
	for i := 0; i+1 < len(root.Content); i += 2 {
		k, v := root.Content[i], root.Content[i+1]
		name := k.Value
		f, ok := known[name]
		switch {
		case !ok && credentialKey.MatchString(name):
			return p, fmt.Errorf("line %d: key %q looks like a credential: a profile never holds tokens or keys; "+
				"tokens stay in the environment ($%s, $%s, $%s) and the ledger's key in its file (the profile may name it: ledger-key-file: PATH)",
				k.Line, name, envHLToken, envPBNToken, envOAuthClientSecret)
		case !ok:
			return p, fmt.Errorf("line %d: unknown key %q%s (a profile's keys are flag names: %s)", k.Line, name, suggestKey(name),
				strings.Join(profileFlagNames(), ", "))
		case seen[name]:
			return p, fmt.Errorf("line %d: key %q given twice", k.Line, name)
		case v.Kind != yaml.ScalarNode:
			return p, fmt.Errorf("line %d: %s: want one value, not a %s", v.Line, name, nodeKind(v))
		case looksLikeToken(v.Value):
			return p, fmt.Errorf("line %d: the value of %s looks like a token or key (not shown): a profile never holds credentials; "+
				"put the token in the environment ($%s, $%s)", v.Line, name, envHLToken, envPBNToken)
		}
		seen[name] = true
		*f.value(&p) = v.Value
	}
	return p, nil
}

func nodeKind(n *yaml.Node) string {
	switch n.Kind {
	case yaml.SequenceNode:
		return "list"
	case yaml.MappingNode:
		return "mapping"
	case yaml.AliasNode:
		return "alias"
	}
	return "scalar"
}

// suggestKey names the known key closest to a mistyped one, or "".
func suggestKey(name string) string {
	best, bestD := "", 3 // at most two edits away
	for _, f := range profileFields {
		if d := nearest.Distance(strings.ToLower(name), f.name); d < bestD {
			best, bestD = f.name, d
		}
	}
	if best == "" {
		return ""
	}
	return fmt.Sprintf(" (did you mean %q?)", best)
}

// apply sets, through set, every flag the profile holds that the command
// line did not set (isSet): flags given on the command line win. set may
// ignore a name the command does not take (status has no -location); an
// error from it (a bad value) is returned naming the key.
//
// The two sources exclude each other: -pbn-url or -export on the command
// line replaces the profile's source, whichever it is (with its -encoding).
func (p Profile) apply(isSet func(name string) bool, set func(name, value string) error) error {
	sourceGiven := isSet("pbn-url") || isSet("export")
	for _, f := range profileFields {
		v := *f.value(&p)
		if v == "" || isSet(f.name) {
			continue
		}
		if sourceGiven && (f.name == "pbn-url" || f.name == "export" || f.name == "encoding") {
			continue
		}
		if err := set(f.name, v); err != nil {
			return fmt.Errorf("profile key %s: %w", f.name, err)
		}
	}
	return nil
}

// profileFrom builds a profile from the flags given on init's command line:
// get returns a flag's value and whether it was set. Paths are made
// absolute, so the profile works from any directory.
func profileFrom(get func(name string) (string, bool)) (Profile, error) {
	var p Profile
	for _, f := range profileFields {
		v, ok := get(f.name)
		if !ok || v == "" {
			continue
		}
		if f.path {
			abs, err := profilePathValue(v, filepath.Abs)
			if err != nil {
				return p, fmt.Errorf("-%s: %w", f.name, err)
			}
			v = abs
		}
		if redacted := rollback.RedactDSN(v); redacted != v {
			return p, fmt.Errorf("-%s %s carries a password: a profile never holds credentials (give it in $PGPASSWORD or ~/.pgpass)", f.name, redacted)
		}
		if looksLikeToken(v) {
			return p, fmt.Errorf("-%s looks like a token or key (not shown): a profile never holds credentials", f.name)
		}
		*f.value(&p) = v
	}
	return p, nil
}

// empty reports a profile that sets nothing.
func (p Profile) empty() bool {
	return slices.IndexFunc(profileFields, func(f profileField) bool { return *f.value(&p) != "" }) < 0
}

// marshal writes the profile as YAML with a header saying what it is.
func (p Profile) marshal(w io.Writer) error {
	var b bytes.Buffer
	b.WriteString("# pbn2hl profile: the flags every command repeats (pbn2hl <command> -profile NAME).\n" +
		"# Keys are flag names; a flag on the command line overrides the profile.\n" +
		"# Never put a token here: tokens stay in the environment ($" + envHLToken + ", $" + envPBNToken + ").\n")
	body, err := yaml.Marshal(p)
	if err != nil {
		return err
	}
	if !p.empty() {
		b.Write(body)
	}
	_, err = w.Write(b.Bytes())
	return err
}

// profileExistsError: writeProfile without force found the file.
type profileExistsError struct{ path string }

func (e *profileExistsError) Error() string {
	return fmt.Sprintf("profile %s exists: give another -profile, or -force to replace it", e.path)
}

// writeProfile writes p to path, owner-only (0600), creating its
// directory (0700). An existing file is refused unless force.
func writeProfile(path string, p Profile, force bool) error {
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return fmt.Errorf("profile directory: %w", err)
	}
	if force {
		if err := privatefile.Write(path, p.marshal); err != nil {
			return fmt.Errorf("write the profile: %w", err)
		}
		return nil
	}
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if errors.Is(err, fs.ErrExist) {
		return &profileExistsError{path}
	}
	if err != nil {
		return fmt.Errorf("write the profile: %w", err)
	}
	if err := p.marshal(f); err != nil {
		_ = f.Close()
		_ = os.Remove(path)
		return fmt.Errorf("write the profile: %w", err)
	}
	if err := f.Close(); err != nil {
		_ = os.Remove(path)
		return fmt.Errorf("write the profile: %w", err)
	}
	return nil
}

// validate checks the values as the commands' flags will parse them, so
// that init refuses a profile no command could use.
func (p Profile) validate() error {
	if p.HLRate != "" {
		if _, _, err := parseRate(p.HLRate); err != nil {
			return err
		}
	}
	if p.SearchLag != "" {
		var d time.Duration
		if err := (searchLagValue{&d}).Set(p.SearchLag); err != nil {
			return fmt.Errorf("-search-lag: %w", err)
		}
	}
	if p.RequestTimeout != "" {
		d, err := time.ParseDuration(p.RequestTimeout)
		if err != nil || d <= 0 || d > maxRequestTimeout {
			return fmt.Errorf("-request-timeout %q: want a duration more than 0 and at most %s", p.RequestTimeout, maxRequestTimeout)
		}
	}
	if p.Concurrency != "" {
		if n, err := strconv.Atoi(p.Concurrency); err != nil || n < 1 {
			return fmt.Errorf("-concurrency %q: want a whole number of at least 1", p.Concurrency)
		}
	}
	if p.OnDailyLimit != "" && p.OnDailyLimit != "pause" && p.OnDailyLimit != "stop" {
		return errors.New(`-on-daily-limit must be "pause" or "stop"`)
	}
	if p.PBNURL != "" && p.Export != "" {
		return errors.New("-pbn-url and -export exclude each other: a profile keeps one source")
	}
	if p.Encoding != "" && p.Export == "" {
		return errors.New("-encoding is for an export folder (-export)")
	}
	return nil
}

// ---- the command line: init, -profile, -json

// jsonCommands take -json: their result as one JSON document on stdout
// (reconcile and doctor register their own -json).
var jsonCommands = map[string]bool{"status": true, "preflight": true, "sample": true, "run": true, "delta": true, "undo": true}

// profileFlags registers -profile on every command, and -json on
// jsonCommands (sharedFlags calls it last).
func (c *cli) profileFlags(cmd *command) {
	if cmd.name == initCmd.name {
		c.flags.String("profile", defaultProfile, "the profile's `NAME` ($"+envProfileDir+"/NAME.yaml, or NAME.yaml in the user's configuration directory, ~/.config/pbn2hl on Linux), or a .yaml path")
		return
	}
	c.flags.String("profile", "", "read this command's flags from a profile: a `NAME` ($"+envProfileDir+"/NAME.yaml, or ~/.config/pbn2hl/NAME.yaml on Linux) or a .yaml path; flags given here override it (pbn2hl init writes one)")
	if jsonCommands[cmd.name] {
		c.flags.Bool("json", false, "write the result as one JSON document on stdout (field names: the library's *JSON types); the text and progress go to stderr")
	}
}

// useProfile runs before a command's checks: with -json the text output
// moves to stderr and stdout keeps the JSON alone; with -profile the
// profile fills the flags the command takes and the command line did not
// set.
func (c *cli) useProfile() error {
	if jsonCommands[c.cmd] {
		if on, _ := c.flags.GetBool("json"); on {
			c.jsonOut, c.stdout = c.stdout, c.stderr
		}
	}
	if c.cmd == initCmd.name {
		return nil
	}
	ref, _ := c.flags.GetString("profile")
	if ref == "" {
		return nil
	}
	p, path, err := loadProfile(ref, c.getenv)
	if err != nil {
		return err
	}
	err = p.apply(c.flags.Changed, func(name, value string) error {
		if c.flags.Lookup(name) == nil {
			return nil // a flag this command does not take
		}
		return c.flags.Set(name, value)
	})
	if err != nil {
		return fmt.Errorf("profile %s: %w", path, err)
	}
	return nil
}

// initCmd writes a profile from its flags.
var initCmd = &command{
	name: "init", summary: "write a profile (-profile NAME) of the flags every command repeats — location, source, ledger, map, rate — never tokens",
	setup: func(c *cli) {
		for _, f := range profileFields {
			c.flags.String(f.name, "", f.usage)
		}
		c.flags.Bool("force", false, "replace the profile when it exists")
	},
	run: runInit,
}

func runInit(ctx context.Context, c *cli) error {
	ref, _ := c.flags.GetString("profile")
	force, _ := c.flags.GetBool("force")
	p, err := profileFrom(func(name string) (string, bool) {
		if !c.flags.Changed(name) {
			return "", false
		}
		v, err := c.flags.GetString(name)
		return v, err == nil
	})
	if err != nil {
		return usagef("%v", err)
	}
	if p.empty() {
		return usagef("give the flags to keep, e.g. pbn2hl init -profile %s -location ID -export DIR -ledger FILE -map map.yaml", ref)
	}
	if err := p.validate(); err != nil {
		return usagef("%v", err)
	}
	path, err := profilePath(ref, c.getenv)
	if err != nil {
		return usagef("%v", err)
	}
	if err := writeProfile(path, p, force); err != nil {
		var pe *profileExistsError
		if errors.As(err, &pe) {
			return usagef("%v", err)
		}
		return err
	}
	var keys []string
	for _, f := range profileFields {
		if *f.value(&p) != "" {
			keys = append(keys, f.name)
		}
	}
	c.outf("profile %s written (owner-only): %s", path, strings.Join(keys, ", "))
	c.outf("use it: pbn2hl <command> -profile %s ... (a flag given on the command line overrides it); tokens stay in $%s and $%s", ref, envHLToken, envPBNToken)
	return nil
}

// result writes a command's result: as text on stdout, or with -json as
// JSON on the real stdout.
func (c *cli) result(text, asJSON func(io.Writer) error) error {
	c.closeProgress() // after the progress view's final state
	if c.jsonOut != nil {
		return asJSON(c.jsonOut)
	}
	return text(c.stdout)
}

// phaseResult prints a data phase's report, or writes it as JSON.
func (c *cli) phaseResult(rep *pbnhl.Report) error {
	c.timing(rep) // -v: where the time went (timing.go)
	if c.jsonOut == nil {
		c.report(rep)
		return nil
	}
	return c.result(nil, rep.WriteJSON)
}

// undoJSON writes an undo's summary with the runs it undid, with -json.
func (c *cli) undoJSON(rep *rollback.UndoReport, runs []rollback.RunID) error {
	if c.jsonOut == nil {
		return nil
	}
	s := rep.Summary()
	s.Runs = runs
	return c.result(nil, s.WriteJSON)
}

// statusJSON writes the ledger's status as JSON.
func (c *cli) statusJSON(ctx context.Context, l *rollback.Ledger) error {
	st, err := pbnhl.ReadLedgerStatus(ctx, l)
	if err != nil {
		return err
	}
	return c.result(nil, st.WriteJSON)
}
