package mapping

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestMessageConversationProvider (issue 16.2): the map's "provider" field
// wins; without it a message takes Inputs.ConversationProvider (a
// migration's Options.ConversationProvider); a Custom message with
// neither is refused with a reason naming the field, not a value.
func TestMessageConversationProvider(t *testing.T) {
	payload := func(typ, provider string) *Payload {
		p := &Payload{Object: "msgs", Target: TargetMessage, SourceKey: "1", Fields: []Value{
			{Key: "type", Text: typ}, {Key: "direction", Text: "inbound"}, {Key: "date", Text: "2024-03-04T05:06:07Z"}, {Key: "message", Text: "hi"}}}
		if provider != "" {
			p.Fields = append(p.Fields, Value{Key: "provider", Text: provider})
		}
		return p
	}
	in := Inputs{ConversationProvider: "optProvider"}
	m, err := in.Message(payload("Custom", ""), "conv", "c1")
	require.NoError(t, err)
	assert.Equal(t, "optProvider", m.ProviderID, "the option fills a map that sets none")
	m, err = in.Message(payload("SMS", "mapProvider"), "conv", "c1")
	require.NoError(t, err)
	assert.Equal(t, "mapProvider", m.ProviderID, "the map's provider wins")
	_, err = Inputs{}.Message(payload("Custom", ""), "conv", "c1")
	require.Error(t, err)
	assert.Contains(t, err.Error(), "provider is empty")
	m, err = Inputs{}.Message(payload("SMS", ""), "conv", "c1")
	require.NoError(t, err)
	assert.Empty(t, m.ProviderID, "HighLevel's own channels need none")
}
