// Command fleet runs pbnhl migrations of many practices as Temporal
// workflows: a worker that runs them, and commands to start a fleet, send
// approvals, undo a location and watch progress.
//
//	fleet worker  [-address host:port] [-namespace ns] [-task-queue q]
//	fleet start   -locations fleet.yaml
//	fleet approve -location ID -step map|sample -actor NAME [-accept-differences]
//	fleet status  [-locations fleet.yaml | -location ID] [-json]
//	fleet undo    -location ID
//	fleet dev-server   (a throwaway in-process Temporal server, for trying it out)
//
// Tokens and ledger keys are read by the worker from the environment
// variables the locations file names; they never enter Temporal.
package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"text/tabwriter"
	"time"

	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/log"
	"go.temporal.io/sdk/worker"
	"go.temporal.io/server/temporaltest"

	"github.com/pbnhl/pbnhl/examples/fleet"
)

const usage = `usage: fleet <command> [flags]

commands:
  worker   run a worker (workflows and activities) until interrupted
  start    start the fleet of a locations file
  approve  approve a location's map or sample
  status   show the fleet's locations (or one) with progress
  undo     reverse a location's migration
  dev-server  start a throwaway in-memory Temporal server (prints address and
           namespace; for trying the fleet out, not for production)

common flags: -address (default $TEMPORAL_ADDRESS or localhost:7233),
-namespace (default $TEMPORAL_NAMESPACE or default), -task-queue
`

func main() {
	if len(os.Args) < 2 || os.Args[1] == "-h" || os.Args[1] == "help" {
		fmt.Print(usage)
		return
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, os.Args[1], os.Args[2:]); err != nil {
		fmt.Fprintln(os.Stderr, "fleet:", err)
		os.Exit(1)
	}
}

func envOr(k, def string) string {
	if v := os.Getenv(k); v != "" {
		return v
	}
	return def
}

func run(ctx context.Context, cmd string, args []string) error {
	fs := flag.NewFlagSet(cmd, flag.ExitOnError)
	addr := fs.String("address", envOr("TEMPORAL_ADDRESS", client.DefaultHostPort), "Temporal frontend host:port")
	ns := fs.String("namespace", envOr("TEMPORAL_NAMESPACE", client.DefaultNamespace), "Temporal namespace")
	queue := fs.String("task-queue", fleet.TaskQueue, "task queue")
	locations := fs.String("locations", "", "locations file (YAML)")
	location := fs.String("location", "", "location id")
	step := fs.String("step", "", "approve: map or sample")
	actor := fs.String("actor", "", "approve: who approves")
	accept := fs.Bool("accept-differences", false, "approve sample: accept differing fields knowingly")
	asJSON := fs.Bool("json", false, "status: JSON")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if cmd == "dev-server" {
		// temporaltest's server: in memory, gone when this process ends.
		ts := temporaltest.NewServer()
		defer ts.Stop()
		fmt.Printf("TEMPORAL_ADDRESS=%s TEMPORAL_NAMESPACE=%s\n", ts.GetFrontendHostPort(), ts.GetDefaultNamespace())
		<-ctx.Done()
		return nil
	}
	// The SDK's own records at warning and above, on stderr.
	logger := log.NewStructuredLogger(slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn})))
	c, err := client.Dial(client.Options{HostPort: *addr, Namespace: *ns, Logger: logger})
	if err != nil {
		return err
	}
	defer c.Close()
	switch cmd {
	case "worker":
		w := worker.New(c, *queue, worker.Options{})
		fleet.Register(w, &fleet.Activities{Actor: envOr("USER", "pbnhl-fleet")})
		return w.Run(workerInterrupt(ctx))
	case "start":
		if *locations == "" {
			return errors.New("start needs -locations file.yaml")
		}
		spec, err := fleet.LoadFleetSpec(*locations)
		if err != nil {
			return err
		}
		r, err := c.ExecuteWorkflow(ctx, client.StartWorkflowOptions{ID: spec.ID, TaskQueue: *queue}, fleet.Fleet, spec)
		if err != nil {
			return err
		}
		fmt.Printf("started fleet %s (run %s): %d locations\n", r.GetID(), r.GetRunID(), len(spec.Locations))
		return nil
	case "approve":
		if *location == "" || *actor == "" {
			return errors.New("approve needs -location and -actor")
		}
		sig := map[string]string{"map": fleet.SignalApproveMap, "sample": fleet.SignalApproveSample}[*step]
		if sig == "" {
			return errors.New("approve needs -step map or -step sample")
		}
		return c.SignalWorkflow(ctx, fleet.WorkflowID(*location), "", sig, fleet.Approval{Actor: *actor, AcceptDifferences: *accept})
	case "undo":
		if *location == "" {
			return errors.New("undo needs -location")
		}
		h, err := c.UpdateWorkflow(ctx, client.UpdateWorkflowOptions{WorkflowID: fleet.WorkflowID(*location),
			UpdateName: fleet.UpdateUndo, WaitForStage: client.WorkflowUpdateStageCompleted})
		if err != nil {
			return err
		}
		var u fleet.UndoResult
		if err := h.Get(ctx, &u); err != nil {
			return err
		}
		fmt.Printf("undone: complete=%v compensations=%d manual=%d\n", u.Complete, u.Compensations, u.Manual)
		return nil
	case "status":
		var ids []string
		switch {
		case *location != "":
			ids = []string{*location}
		case *locations != "":
			spec, err := fleet.LoadFleetSpec(*locations)
			if err != nil {
				return err
			}
			for _, l := range spec.Locations {
				ids = append(ids, l.ID)
			}
		default:
			return errors.New("status needs -locations file.yaml or -location ID")
		}
		return status(ctx, c, ids, *asJSON)
	}
	return fmt.Errorf("unknown command %q\n%s", cmd, usage)
}

func workerInterrupt(ctx context.Context) <-chan any {
	ch := make(chan any, 1)
	go func() { <-ctx.Done(); ch <- struct{}{} }()
	return ch
}

func status(ctx context.Context, c client.Client, ids []string, asJSON bool) error {
	var all []fleet.Progress
	tw := tabwriter.NewWriter(os.Stdout, 0, 4, 2, ' ', 0)
	if !asJSON {
		fmt.Fprintln(tw, "LOCATION\tAGENCY\tPHASE\tPERCENT\tCALLS TODAY\tDAY\tETA\tDELTAS\tRECONCILED")
	}
	for _, id := range ids {
		p, err := fleet.Status(ctx, c, id)
		if err != nil {
			// A query needs a worker to answer it; a location not
			// started yet has no workflow.
			p = fleet.Progress{Location: id, Phase: "(no answer)", LastError: firstLine(err.Error())}
		}
		all = append(all, p)
		rec := "-"
		if p.Reconcile != nil {
			rec = fmt.Sprintf("ok=%v", p.Reconcile.OK)
		}
		eta := "-"
		if p.ETA > 0 {
			eta = p.ETA.Round(time.Second).String()
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%.0f%%\t%d\t%d of %d\t%s\t%d\t%s\n", p.Location, p.Agency, p.Phase, p.Percent, p.CallsToday, p.Day, p.Days, eta, p.Deltas, rec)
	}
	if asJSON {
		enc := json.NewEncoder(os.Stdout)
		enc.SetIndent("", "  ")
		return enc.Encode(all)
	}
	return tw.Flush()
}

func firstLine(s string) string {
	if i := strings.IndexByte(s, '\n'); i >= 0 {
		return s[:i]
	}
	return s
}
