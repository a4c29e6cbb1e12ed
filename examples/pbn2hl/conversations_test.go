package main

import (
	"encoding/json"
	"os"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/pbnhl/pbnhl/highlevel/hltest"
	"github.com/pbnhl/pbnhl/mapping"
	pbn "github.com/pbnhl/pbnhl/practicebynumbers"
)

// messagesMap drafts the default map and adds what issue 16.2 describes:
// the practice's SMS, e-mails and calls as messages of each contact's
// HighLevel conversation (a conversation_message object with no
// "provider" field, messages first-class as well as folded), approved.
func messagesMap(t *testing.T, r *rig) string {
	t.Helper()
	mapPath := r.path("map.yaml")
	r.mustRun(join([]string{"propose", "-from", "default", "-out", mapPath, "-review", r.path("review.md")}, r.srcArgs())...)
	m, err := mapping.Load(mapPath)
	require.NoError(t, err)
	m = m.WithHistory(mapping.HistoryMessages, mapping.AsBoth)
	o := mapping.Object{Name: "communication_messages", Source: "communications", Target: mapping.TargetMessage, SourceKey: "id",
		Fields: []mapping.Field{
			{From: "channel", To: "type", Required: true, Values: []mapping.Pair{
				{From: string(pbn.ChannelSMS), To: "SMS"}, {From: string(pbn.ChannelEmail), To: "Email"}, {From: string(pbn.ChannelCall), To: "Call"}}},
			{From: "direction", To: "direction", Required: true},
			{From: "at", To: "date", Transform: mapping.Chain{{Name: "timestamp"}}, Required: true},
			{From: "body", To: "message"},
			{From: "subject", To: "subject"},
		},
		Filters: []mapping.Filter{{Field: "channel", Op: mapping.OpIn, Values: []string{string(pbn.ChannelSMS), string(pbn.ChannelEmail), string(pbn.ChannelCall)}}},
		Lookups: []mapping.Lookup{{From: "patientId", Object: "patients", To: mapping.LinkContact, Required: true}},
	}
	m.Objects = append(m.Objects, o)
	f, err := os.OpenFile(mapPath, os.O_WRONLY|os.O_TRUNC, 0o600)
	require.NoError(t, err)
	require.NoError(t, m.Save(f))
	require.NoError(t, f.Close())
	r.mustRun("approve", "-map", mapPath, "-by", "Dr. Reviewer")
	return mapPath
}

// runMessages runs schema and the full run with -json and returns the
// message object's counters.
func runMessages(t *testing.T, r *rig, extra ...string) (written, rejected int64) {
	t.Helper()
	args := join([]string{"-map", messagesMap(t, r)}, r.led(r.path("l.ledger")), r.srcArgs(), r.hlArgs())
	r.mustRun(append([]string{"schema", "-apply", "-new-ledger"}, args...)...)
	out := r.mustRun(join([]string{"run", "-json"}, extra, args)...)
	var rep struct {
		Objects []struct {
			Object            string
			Written, Rejected int64
		}
	}
	require.NoError(t, json.Unmarshal([]byte(out), &rep), out)
	for _, o := range rep.Objects {
		if o.Object == "communication_messages" {
			return o.Written, o.Rejected
		}
	}
	t.Fatalf("no communication_messages in the run's report:\n%s", out)
	return 0, 0
}

// TestConversationProviderFlag (issues 16.2, 19): -conversation-provider
// reaches every message written into HighLevel Conversations when the
// map's message object names no provider. A location with the provider
// installed takes every message, each carrying the id; one without it
// refuses each (HighLevel's 400 "Invalid conversationProviderId", as
// hltest answers): the messages are rejected records, none written.
func TestConversationProviderFlag(t *testing.T) {
	const provider = "provSmileDental0001"
	r := newRigWith(t, 8, 0, nil, func(o *hltest.Options) { o.Locations[0].ConversationProviders = []string{provider} })
	written, rejected := runMessages(t, r, "-conversation-provider", provider)
	assert.Positive(t, written, "the practice's messages are written")
	assert.Zero(t, rejected)
	msgs := r.hl.Records(hltest.DefaultLocationID, hltest.KindMessage)
	require.Len(t, msgs, int(written))
	for _, m := range msgs {
		assert.Equal(t, provider, m["conversationProviderId"], "every message carries the provider")
	}

	other := newRig(t, 8, 0)
	written, rejected = runMessages(t, other, "-conversation-provider", "provNotInstalled001")
	assert.Zero(t, written, "no message goes without a provider the location has")
	assert.Positive(t, rejected, "HighLevel refused each one")
	assert.Empty(t, other.hl.Records(hltest.DefaultLocationID, hltest.KindMessage))
	problems := other.mustRun(append([]string{"audit", "-problems"}, other.led(other.path("l.ledger"))...)...)
	assert.Contains(t, problems, "conversation_message")
	assert.Contains(t, problems, "400")
}
