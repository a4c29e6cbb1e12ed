package fleet

import (
	"context"

	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/converter"
)

// Register puts the workflows and activities on a worker.
func Register(w interface {
	RegisterWorkflow(any)
	RegisterActivity(any)
}, a *Activities) {
	w.RegisterWorkflow(MigrateLocation)
	w.RegisterWorkflow(Fleet)
	w.RegisterActivity(a)
}

// Status is a location's Progress with the running phase's live counts
// (its last heartbeat) folded in: percent, calls today and ETA while a
// run or delta is under way.
func Status(ctx context.Context, c client.Client, location string) (Progress, error) {
	id := WorkflowID(location)
	v, err := c.QueryWorkflow(ctx, id, "", QueryProgress)
	if err != nil {
		return Progress{}, err
	}
	var p Progress
	if err := v.Get(&p); err != nil {
		return Progress{}, err
	}
	d, err := c.DescribeWorkflowExecution(ctx, id, "")
	if err != nil {
		return p, err
	}
	for _, pa := range d.GetPendingActivities() {
		if pa.GetHeartbeatDetails() == nil {
			continue
		}
		var live Live
		if err := converter.GetDefaultDataConverter().FromPayloads(pa.GetHeartbeatDetails(), &live); err != nil {
			continue
		}
		p.CallsToday += live.Calls
		p.ETA = live.ETA
		if live.Phase == PhaseRun {
			p.Done, p.Total, p.Percent = live.Done, live.Total, live.Percent
		}
	}
	return p, nil
}
