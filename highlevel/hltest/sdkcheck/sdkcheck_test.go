package sdkcheck

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/pbnhl/pbnhl/highlevel/hltest"
)

// sdkVersion is the pinned @gohighlevel/api-client (package.json).
const sdkVersion = "3.1.0"

// TestNodeSDKDrivesSimulator runs check.js against an hltest server on
// loopback with HighLevel's burst limit scaled down, so the SDK also meets
// the simulator's 429s and must retry them from the X-RateLimit-* headers.
func TestNodeSDKDrivesSimulator(t *testing.T) {
	if testing.Short() {
		t.Skip("sdkcheck: skipped under -short (it installs and runs HighLevel's Node SDK)")
	}
	node := lookNode(t)
	modules := installSDK(t)

	const loc, tok = "sdkcheckLocation0001", "pit-sdkcheck-0000-4000-8000-000000000001"
	const provider = "sdkcheckProvider0001"
	s := hltest.NewServer(hltest.Options{
		Locations: []hltest.Location{{ID: loc, Token: tok, Name: "sdkcheck", ConversationProviders: []string{provider}}},
		// 10 per second: the burst step sends 25 reads at once.
		RateLimit: hltest.RateLimit{Max: 10, Window: time.Second, Daily: 200_000},
	})
	defer s.Close()
	pipeline, stage := createPipeline(t, s, loc, tok)

	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, node, "check.js")
	cmd.Env = append(os.Environ(), "NODE_PATH="+modules, "HLSIM_URL="+s.URL, "HLSIM_TOKEN="+tok,
		"HLSIM_LOCATION="+loc, "HLSIM_PIPELINE="+pipeline, "HLSIM_STAGE="+stage, "HLSIM_BURST=25",
		"HLSIM_PROVIDER="+provider)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		t.Fatalf("node check.js: %v\n%s", err, stderr.String())
	}
	lines := strings.Split(strings.TrimSpace(stdout.String()), "\n")
	var got struct {
		ContactID     string   `json:"contactId"`
		UpsertedID    string   `json:"upsertedId"`
		RecordID      string   `json:"recordId"`
		OpportunityID string   `json:"opportunityId"`
		AppointmentID string   `json:"appointmentId"`
		MessageID     string   `json:"messageId"`
		Steps         []string `json:"steps"`
	}
	if err := json.Unmarshal([]byte(lines[len(lines)-1]), &got); err != nil {
		t.Fatalf("check.js's last line is not its result: %v\n%s", err, stdout.String())
	}
	t.Logf("SDK %s steps: %s", sdkVersion, strings.Join(got.Steps, ", "))

	// What the SDK wrote is in the simulator, as the SDK was told.
	c, ok := s.Contact(loc, got.ContactID)
	if !ok {
		t.Fatalf("contact %s is not in the simulator", got.ContactID)
	}
	if c.LastName != "Checked" || got.UpsertedID != got.ContactID {
		t.Errorf("upsert did not update the created contact: lastName %q, upserted %s", c.LastName, got.UpsertedID)
	}
	if n := s.Count(loc, hltest.KindContact); n != 1 {
		t.Errorf("%d contacts, want 1 (upsert must not create a second)", n)
	}
	if !hasID(s.Records(loc, hltest.KindOpportunity), got.OpportunityID) {
		t.Errorf("opportunity %s is not in the simulator", got.OpportunityID)
	}
	if !hasID(s.Records(loc, hltest.Kind("custom_objects.sdk_check")), got.RecordID) {
		t.Errorf("record %s is not in the simulator", got.RecordID)
	}
	if !hasID(s.Records(loc, hltest.KindEvent), got.AppointmentID) {
		t.Errorf("appointment %s is not in the simulator", got.AppointmentID)
	}
	if n := len(s.Notifications(loc)); n != 0 {
		t.Errorf("%d notifications: the SDK booked with toNotify false", n)
	}
	if !hasID(s.Records(loc, hltest.KindMessage), got.MessageID) {
		t.Errorf("message %s is not in the simulator", got.MessageID)
	}
	if n := s.Count(loc, hltest.KindMessage); n != 1 {
		t.Errorf("%d messages, want 1 (the unknown provider's must be refused)", n)
	}
	// The burst was refused at least once and the SDK retried until it
	// went through.
	refused := 0
	for _, r := range s.RequestLog() {
		if r.Status == http.StatusTooManyRequests {
			refused++
		}
	}
	if refused == 0 {
		t.Errorf("no request was refused with 429: the burst step did not exercise the SDK's retry")
	}
	t.Logf("%d requests served, %d refused with 429 and retried by the SDK", len(s.RequestLog()), refused)
}

func hasID(records []map[string]any, id string) bool {
	for _, r := range records {
		if r["id"] == id {
			return true
		}
	}
	return false
}

// lookNode finds node >= 18 and npm, or skips.
func lookNode(t *testing.T) string {
	t.Helper()
	node, err := exec.LookPath("node")
	if err != nil {
		t.Skip("sdkcheck: node is not installed; install Node.js >= 18 to run HighLevel's Node SDK against the simulator")
	}
	if _, err := exec.LookPath("npm"); err != nil {
		t.Skip("sdkcheck: npm is not installed; it installs HighLevel's Node SDK")
	}
	v, err := exec.Command(node, "--version").Output()
	if err != nil {
		t.Skipf("sdkcheck: node --version: %v", err)
	}
	m := regexp.MustCompile(`^v(\d+)\.`).FindSubmatch(bytes.TrimSpace(v))
	if m == nil {
		t.Skipf("sdkcheck: cannot read node's version %q", v)
	}
	if major, _ := strconv.Atoi(string(m[1])); major < 18 {
		t.Skipf("sdkcheck: node %s is too old; the SDK needs >= 18", bytes.TrimSpace(v))
	}
	return node
}

// installSDK runs npm ci on package.json and package-lock.json into a
// directory of the user cache named by the lock file's hash, once: later
// runs reuse it. It installs into a temporary directory renamed into
// place, so concurrent test processes never see a half-installed tree.
// It returns the node_modules directory.
func installSDK(t *testing.T) string {
	t.Helper()
	pkg, err := os.ReadFile("package.json")
	if err != nil {
		t.Fatal(err)
	}
	lock, err := os.ReadFile("package-lock.json")
	if err != nil {
		t.Fatal(err)
	}
	sum := sha256.Sum256(append(append([]byte{}, pkg...), lock...))
	cache, err := os.UserCacheDir()
	if err != nil {
		cache = os.TempDir()
	}
	root := filepath.Join(cache, "pbnhl", "sdkcheck")
	dir := filepath.Join(root, hex.EncodeToString(sum[:8]))
	modules := filepath.Join(dir, "node_modules")
	if installed(modules) {
		return modules
	}
	if err := os.MkdirAll(root, 0o755); err != nil {
		t.Fatal(err)
	}
	tmp, err := os.MkdirTemp(root, ".install-*")
	if err != nil {
		t.Fatal(err)
	}
	defer os.RemoveAll(tmp)
	for name, b := range map[string][]byte{"package.json": pkg, "package-lock.json": lock} {
		if err := os.WriteFile(filepath.Join(tmp, name), b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	// Offline, npm retries for minutes by default: one retry and a bounded
	// wait turn that into a prompt skip.
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	// --ignore-scripts: nothing the registry serves runs at install time.
	cmd := exec.CommandContext(ctx, "npm", "ci", "--ignore-scripts", "--no-audit", "--no-fund", "--loglevel=error",
		"--fetch-retries=1", "--fetch-retry-mintimeout=2000", "--fetch-retry-maxtimeout=5000", "--fetch-timeout=30000")
	cmd.Dir = tmp
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Skipf("sdkcheck: npm ci could not install @gohighlevel/api-client@%s (offline?): %v\n%s", sdkVersion, err, tail(out))
	}
	if !installed(filepath.Join(tmp, "node_modules")) {
		t.Fatalf("npm ci succeeded but node_modules has no @gohighlevel/api-client@%s", sdkVersion)
	}
	if err := os.Rename(tmp, dir); err != nil && !installed(modules) {
		t.Fatalf("sdkcheck: moving the install into place: %v", err)
	}
	return modules
}

// installed reports whether modules holds the pinned SDK.
func installed(modules string) bool {
	raw, err := os.ReadFile(filepath.Join(modules, "@gohighlevel", "api-client", "package.json"))
	if err != nil {
		return false
	}
	var p struct{ Version string }
	return json.Unmarshal(raw, &p) == nil && p.Version == sdkVersion
}

func tail(b []byte) []byte {
	if len(b) > 2000 {
		return b[len(b)-2000:]
	}
	return b
}

// createPipeline makes the pipeline the opportunity step uses: the SDK has
// no call for it (POST /opportunities/pipelines came after it).
func createPipeline(t *testing.T, s *hltest.Server, loc, tok string) (pipeline, stage string) {
	t.Helper()
	body, _ := json.Marshal(map[string]any{"locationId": loc, "name": "Treatment",
		"stages": []any{map[string]any{"name": "Planned", "position": 0}}})
	req, _ := http.NewRequest("POST", s.URL+"/opportunities/pipelines", bytes.NewReader(body))
	req.Header.Set("Authorization", "Bearer "+tok)
	req.Header.Set("Version", "2021-07-28")
	req.Header.Set("Content-Type", "application/json")
	res, err := s.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	var out struct {
		Pipeline struct {
			ID     string `json:"id"`
			Stages []struct {
				ID string `json:"id"`
			} `json:"stages"`
		} `json:"pipeline"`
	}
	if err := json.NewDecoder(res.Body).Decode(&out); err != nil || res.StatusCode/100 != 2 || len(out.Pipeline.Stages) == 0 {
		t.Fatalf("creating the pipeline: %d %v", res.StatusCode, errors.Join(err))
	}
	return out.Pipeline.ID, out.Pipeline.Stages[0].ID
}
