package fleet

import (
	"context"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"go.temporal.io/api/enums/v1"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/worker"
	"go.temporal.io/server/temporaltest"
	"google.golang.org/protobuf/encoding/prototext"

	"github.com/pbnhl/pbnhl/highlevel/hltest"
	pbn "github.com/pbnhl/pbnhl/practicebynumbers"
	"github.com/pbnhl/pbnhl/practicebynumbers/pbntest"
)

// Three practices migrate at once into three simulated locations through
// a real Temporal server in this process: the worker is stopped in the
// middle of a run and another takes over; one location hits its daily
// limit and resumes after the reset (its simulator's clock jumps a day,
// as time passes for a paused location). Every location ends reconciled,
// with one contact per patient (nothing duplicated, nothing lost), and no
// patient's name or e-mail is anywhere in the workflows' histories.
func TestFleetEndToEnd(t *testing.T) {
	if testing.Short() {
		t.Skip("end-to-end on a Temporal server: not in -short")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
	defer cancel()
	const patients = 12
	env := map[string]string{}
	users := []hltest.User{{ID: "hlUserFrontDesk00001", FirstName: "Front", LastName: "Desk", Email: "desk@example.com"}}
	rl := hltest.RateLimit{Max: 10, Window: 200 * time.Millisecond}
	// A and B share a simulator; C has its own with a small daily quota
	// and a clock the test moves.
	shared := hltest.NewServer(hltest.Options{Users: users, RateLimit: rl, Locations: []hltest.Location{
		{ID: "locA0000000000000001", Token: "tokA", AllowDuplicates: true, AllowDuplicateOpportunities: true},
		{ID: "locB0000000000000001", Token: "tokB", AllowDuplicates: true, AllowDuplicateOpportunities: true},
	}})
	defer shared.Close()
	var skew atomic.Int64
	day0 := time.Now().UTC().Truncate(24 * time.Hour).Add(-30 * 24 * time.Hour)
	started := time.Now()
	clock := func() time.Time { return day0.Add(12*time.Hour + time.Since(started) + time.Duration(skew.Load())) }
	limited := rl
	limited.Daily = 250
	capped := hltest.NewServer(hltest.Options{Users: users, RateLimit: limited, Clock: clock, Locations: []hltest.Location{
		{ID: "locC0000000000000001", Token: "tokC", AllowDuplicates: true, AllowDuplicateOpportunities: true},
	}})
	defer capped.Close()

	spec := FleetSpec{ID: "fleet-e2e", AgencyCaps: map[string]int{"north": 2}}
	var names []string // PHI the histories must not hold
	hlOf := map[string]*hltest.Server{}
	type practice struct {
		ps  *pbntest.Server
		src *pbn.Client
	}
	practices := map[string]practice{}
	for i, id := range []string{"A", "B", "C"} {
		ps, err := pbntest.NewServer(pbntest.Options{Seed: int64(11 + i), Patients: patients})
		if err != nil {
			t.Fatal(err)
		}
		defer ps.Close()
		// Some completed visits at another office of the practice, for
		// the other offices field (generated practices book every visit
		// at the patient's own office).
		ps.MutateWith(pbntest.MutateOptions{SeenElsewhere: 4})
		src, err := pbn.NewClient(pbn.Options{BaseURL: ps.URL, Token: ps.Token(), RateLimit: -1})
		if err != nil {
			t.Fatal(err)
		}
		practices[id] = practice{ps, src}
		for p, err := range src.Patients(ctx, pbn.ListOptions{}) {
			if err != nil {
				t.Fatal(err)
			}
			names = append(names, p.FirstName+" "+p.LastName)
			if p.Email != "" {
				names = append(names, p.Email)
			}
		}
		env["PBN_"+id], env["HL_"+id] = ps.Token(), "tok"+id
		hs, agency := shared, "north"
		if id == "C" {
			hs, agency = capped, "south"
		}
		loc := "loc" + id + "0000000000000001"
		hlOf[loc] = hs
		dir := t.TempDir()
		spec.Locations = append(spec.Locations, LocationSpec{ID: id, Agency: agency,
			PbNURL: ps.URL, PbNTokenEnv: "PBN_" + id, PbNRateLimit: -1,
			HLURL: hs.URL, HLLocation: loc, HLTokenEnv: "HL_" + id, HLRequests: rl.Max, HLWindow: rl.Window,
			CompanyID: hltest.DefaultCompanyID, FallbackOwner: "desk@example.com",
			Ledger: filepath.Join(dir, "practice.ledger"), LedgerPlaintext: true, WorkDir: dir,
			SamplePatients: 1, SearchLag: "none", DeltaEvery: time.Second, CutoverWindow: 2 * time.Second,
			KeepOpen: time.Second, DailyLimitRecheck: time.Second, Heartbeat: 2 * time.Second})
	}
	if err := spec.Normalize(); err != nil {
		t.Fatal(err)
	}

	ts := temporaltest.NewServer(temporaltest.WithT(t))
	c := ts.GetDefaultClient()
	acts := &Activities{Getenv: func(k string) string { return env[k] }, Actor: "e2e"}
	newWorker := func() worker.Worker {
		w := worker.New(c, TaskQueue, worker.Options{})
		Register(w, acts)
		if err := w.Start(); err != nil {
			t.Fatal(err)
		}
		return w
	}
	w1 := newWorker()
	run, err := c.ExecuteWorkflow(ctx, client.StartWorkflowOptions{ID: spec.ID, TaskQueue: TaskQueue}, Fleet, spec)
	if err != nil {
		t.Fatal(err)
	}

	// The people in the loop, and the worker's death.
	approvedMap, approvedSample := map[string]bool{}, map[string]bool{}
	pausesSeen, killed := 0, false
	var w2 worker.Worker
	done := make(chan error, 1)
	go func() { done <- run.Get(ctx, nil) }()
loop:
	for {
		select {
		case err := <-done:
			if err != nil {
				t.Fatal(err)
			}
			break loop
		case <-time.After(100 * time.Millisecond):
		}
		for _, l := range spec.Locations {
			p, err := Status(ctx, c, l.ID)
			if err != nil {
				continue // not started yet
			}
			switch {
			case p.Phase == PhaseAwaitMap && !approvedMap[l.ID]:
				approvedMap[l.ID] = true
				if err := c.SignalWorkflow(ctx, WorkflowID(l.ID), "", SignalApproveMap, Approval{Actor: "reviewer"}); err != nil {
					t.Fatal(err)
				}
			case p.Phase == PhaseAwaitSample && !approvedSample[l.ID]:
				approvedSample[l.ID] = true
				if err := c.SignalWorkflow(ctx, WorkflowID(l.ID), "", SignalApproveSample, Approval{Actor: "reviewer"}); err != nil {
					t.Fatal(err)
				}
			case p.Phase == PhaseDailyLimit && p.Pauses > pausesSeen:
				// A day passes for the paused location.
				pausesSeen = p.Pauses
				skew.Add(int64(24 * time.Hour))
			case p.Phase == PhaseRun && p.Done > 0 && !killed && l.ID != "C":
				// The worker dies in the middle of a run.
				killed = true
				t.Logf("stopping the worker while %s's run is at %.0f%% (%d records)", l.ID, p.Percent, p.Done)
				w1.Stop()
				time.Sleep(time.Second)
				w2 = newWorker()
				defer w2.Stop()
			}
		}
	}
	if !killed {
		t.Fatal("no run was under way to stop the worker in")
	}
	if pausesSeen == 0 {
		t.Error("location C never paused on its daily limit")
	}
	var fl []FleetEntry
	if v, err := c.QueryWorkflow(ctx, spec.ID, "", QueryFleet); err != nil {
		t.Fatal(err)
	} else if err := v.Get(&fl); err != nil {
		t.Fatal(err)
	}
	for _, e := range fl {
		if e.State != PhaseDone {
			t.Errorf("location %s ended %s %s", e.Location, e.State, e.Error)
		}
	}
	for _, l := range spec.Locations {
		wr := c.GetWorkflow(ctx, WorkflowID(l.ID), "")
		var res LocationResult
		if err := wr.Get(ctx, &res); err != nil {
			t.Fatal(err)
		}
		p := res.Progress
		t.Logf("%s: %d calls over %d quota day(s), %d pause(s), %d delta(s), reconcile %+v", l.ID, p.Calls, p.Day, p.Pauses, p.Deltas, p.Reconcile)
		if p.Reconcile == nil || !p.Reconcile.OK || !p.Reconcile.LedgerMatches || p.Reconcile.SourceMissing != 0 {
			t.Errorf("%s does not reconcile: %+v", l.ID, p.Reconcile)
		}
		// A delta takes real time here, so a 2 s window every 1 s holds
		// one or two (the schedule itself: workflow_test.go).
		if p.Deltas < 1 {
			t.Errorf("%s ran no delta in its cutover window", l.ID)
		}
		if n := hlOf[l.HLLocation].Count(l.HLLocation, hltest.KindContact); n != patients {
			t.Errorf("%s holds %d contacts for %d patients", l.ID, n, patients)
		}
		if l.ID == "C" && (p.Pauses == 0 || p.Day < 2) {
			t.Errorf("C: %d pauses, day %d: the daily limit was not hit and resumed", p.Pauses, p.Day)
		}
	}
	// The links the proposed map drafted (issue 16.5) arrived, read back
	// through the HighLevel client against each practice.
	tagged, elsewhere := 0, 0
	for _, l := range spec.Locations {
		pr := practices[l.ID]
		tg, el := checkLinksArrived(t, ctx, pr.src, pr.ps.Practice(), hlOf[l.HLLocation], l.HLLocation, env[l.HLTokenEnv])
		tagged += tg
		elsewhere += el
	}
	t.Logf("links read back: %d contacts carry cohort tags, %d list other offices", tagged, elsewhere)
	if tagged == 0 || elsewhere == 0 {
		t.Errorf("%d contacts carry cohort tags and %d list other offices: the links prove nothing", tagged, elsewhere)
	}

	// No PHI in any history: every event of the fleet and its locations.
	var hist strings.Builder
	retried := 0
	for _, id := range []string{spec.ID, WorkflowID("A"), WorkflowID("B"), WorkflowID("C")} {
		it := c.GetWorkflowHistory(ctx, id, "", false, enums.HISTORY_EVENT_FILTER_TYPE_ALL_EVENT)
		n := 0
		for it.HasNext() {
			ev, err := it.Next()
			if err != nil {
				t.Fatal(err)
			}
			if a := ev.GetActivityTaskStartedEventAttributes(); a != nil && a.GetAttempt() > 1 {
				retried++ // a phase another worker took over (or a retry)
			}
			// Text format shows payloads (JSON bytes) as escaped
			// strings, so names and e-mails would be seen verbatim.
			hist.WriteString(prototext.Format(ev))
			n++
		}
		if n < 10 {
			t.Fatalf("%s: %d events: the scan below would prove nothing", id, n)
		}
	}
	if retried == 0 {
		t.Error("no activity was started again after the worker stopped")
	}
	text := strings.ToLower(hist.String())
	if !strings.Contains(text, strings.ToLower(spec.Locations[0].HLLocation)) {
		t.Fatal("the history scan does not see payload contents")
	}
	for _, n := range names {
		if strings.Contains(text, strings.ToLower(n)) {
			t.Errorf("a patient's name or e-mail is in a workflow history")
		}
	}
}
