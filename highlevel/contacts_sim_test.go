package highlevel_test

import (
	"context"
	"errors"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/pbnhl/pbnhl/highlevel"
	"github.com/pbnhl/pbnhl/highlevel/hltest"
)

// Integration tests of Contacts and Businesses against the simulator, whose
// strict write DTOs refuse any property HighLevel would refuse.

func TestSimContactsLifecycle(t *testing.T) {
	sim, c := newServicesSim(t, nil)
	ctx := context.Background()
	loc := hltest.DefaultLocationID

	text, err := c.CustomFields.Create(ctx, highlevel.CustomFieldCreate{Name: "PbN patient id", DataType: highlevel.DataTypeText})
	require.NoError(t, err)
	money, err := c.CustomFields.Create(ctx, highlevel.CustomFieldCreate{Name: "Balance", DataType: highlevel.DataTypeMonetary})
	require.NoError(t, err)
	num, err := c.CustomFields.Create(ctx, highlevel.CustomFieldCreate{Name: "Visits", DataType: highlevel.DataTypeNumerical})
	require.NoError(t, err)
	multi, err := c.CustomFields.Create(ctx, highlevel.CustomFieldCreate{Name: "Insurers", DataType: highlevel.DataTypeMultipleOptions, Options: []string{"Delta", "Aetna"}})
	require.NoError(t, err)
	date, err := c.CustomFields.Create(ctx, highlevel.CustomFieldCreate{Name: "First visit", DataType: highlevel.DataTypeDate})
	require.NoError(t, err)

	visits, err := highlevel.ValueFor(highlevel.DataTypeNumerical, 7)
	require.NoError(t, err)
	created, err := c.Contacts.Create(ctx, highlevel.ContactInput{
		FirstName: "Rosa", LastName: "Diaz", Email: "rosa@example.com", Phone: "+15125550142",
		Gender: "female", CompanyName: "Acme", DateOfBirth: "1984-03-07", Country: "US", Tags: []string{"pbn"},
		CustomFields: []highlevel.CustomFieldInput{
			{ID: text.ID, Value: highlevel.TextValue("PBN-1")},
			{ID: money.ID, Value: highlevel.MoneyValue(12550)},
			{ID: num.ID, Value: visits},
			{ID: multi.ID, Value: highlevel.OptionsValue("Delta", "Aetna")},
			{ID: date.ID, Value: highlevel.DateValue(time.Date(2019, 4, 2, 15, 0, 0, 0, time.UTC))},
		},
	})
	require.NoError(t, err)
	stored, ok := sim.Contact(loc, created.ID)
	require.True(t, ok)
	assert.Equal(t, "PBN-1", stored.CustomFields[text.ID])
	assert.Equal(t, 125.5, stored.CustomFields[money.ID])
	assert.Equal(t, 7.0, stored.CustomFields[num.ID])
	assert.Equal(t, "1984-03-07", stored.DateOfBirth)

	got, err := c.Contacts.Get(ctx, created.ID)
	require.NoError(t, err)
	assert.Equal(t, "Rosa", got.FirstName)
	v, ok := got.CustomField(money.ID)
	require.True(t, ok)
	n, ok := v.Number()
	require.True(t, ok)
	assert.Equal(t, 125.5, n)
	opts, ok := mustField(t, got, multi.ID).Strings()
	require.True(t, ok)
	assert.ElementsMatch(t, []string{"Delta", "Aetna"}, opts)

	// Update: the simulator refuses locationId, gender and companyName on PUT.
	upd, err := c.Contacts.Update(ctx, created.ID, highlevel.ContactUpdate{LastName: highlevel.Ptr("Díaz"), Tags: []string{"pbn", "migrated"}})
	require.NoError(t, err)
	assert.Equal(t, "Díaz", upd.LastName)
	assert.ElementsMatch(t, []string{"pbn", "migrated"}, upd.Tags)

	// Upsert: same e-mail updates, a new one creates.
	up, err := c.Contacts.Upsert(ctx, highlevel.ContactInput{Email: "rosa@example.com", City: "Austin"})
	require.NoError(t, err)
	assert.False(t, up.Created)
	assert.Equal(t, created.ID, up.Contact.ID)
	up2, err := c.Contacts.Upsert(ctx, highlevel.ContactInput{Email: "new@example.com", FirstName: "Nia"})
	require.NoError(t, err)
	assert.True(t, up2.Created)

	dup, err := c.Contacts.FindDuplicate(ctx, "rosa@example.com", "")
	require.NoError(t, err)
	require.NotNil(t, dup)
	assert.Equal(t, created.ID, dup.ID)
	none, err := c.Contacts.FindDuplicate(ctx, "nobody@example.com", "")
	require.NoError(t, err)
	assert.Nil(t, none)

	tags, err := c.Contacts.AddTags(ctx, created.ID, "recall")
	require.NoError(t, err)
	assert.Contains(t, tags, "recall")
	_, err = c.Contacts.RemoveTags(ctx, created.ID, "pbn")
	require.NoError(t, err)
	bulk, err := c.Contacts.BulkAddTags(ctx, []string{created.ID, up2.Contact.ID}, []string{"bulk"})
	require.NoError(t, err)
	assert.True(t, bulk.Succeeded)
	stored, _ = sim.Contact(loc, up2.Contact.ID)
	assert.Contains(t, stored.Tags, "bulk")
	_, err = c.Contacts.BulkRemoveTags(ctx, []string{up2.Contact.ID}, nil, true)
	require.NoError(t, err)
	stored, _ = sim.Contact(loc, up2.Contact.ID)
	assert.Empty(t, stored.Tags)

	note, err := c.Contacts.CreateNote(ctx, created.ID, highlevel.NoteInput{Body: "2019-04-02: implant consult"})
	require.NoError(t, err)
	notes, err := c.Contacts.ListNotes(ctx, created.ID)
	require.NoError(t, err)
	require.Len(t, notes, 1)
	assert.Equal(t, note.ID, notes[0].ID)
	require.NoError(t, c.Contacts.DeleteNote(ctx, created.ID, note.ID))

	task, err := c.Contacts.CreateTask(ctx, created.ID, highlevel.TaskInput{Title: "Recall", DueDate: time.Now().Add(24 * time.Hour)})
	require.NoError(t, err)
	tasks, err := c.Contacts.ListTasks(ctx, created.ID)
	require.NoError(t, err)
	require.Len(t, tasks, 1)
	require.NoError(t, c.Contacts.DeleteTask(ctx, created.ID, task.ID))
	assert.Equal(t, 0, sim.Count(loc, hltest.KindTask))

	require.NoError(t, c.Contacts.Delete(ctx, created.ID))
	_, err = c.Contacts.Get(ctx, created.ID)
	assert.ErrorIs(t, err, highlevel.ErrNotFound)

	n2, err := c.Contacts.Count(ctx, highlevel.ContactSearch{})
	require.NoError(t, err)
	assert.Equal(t, 1, n2)
}

func mustField(t *testing.T, c *highlevel.Contact, id string) highlevel.CustomFieldValue {
	t.Helper()
	v, ok := c.CustomField(id)
	require.True(t, ok, "custom field %s missing", id)
	return v
}

func TestSimDuplicateContactRefused(t *testing.T) {
	_, c := newServicesSim(t, func(o *hltest.Options) {
		o.Locations = []hltest.Location{{ID: hltest.DefaultLocationID, Token: hltest.DefaultToken, AllowDuplicates: false}}
	})
	ctx := context.Background()
	first, err := c.Contacts.Create(ctx, highlevel.ContactInput{FirstName: "A", Email: "same@example.com"})
	require.NoError(t, err)
	_, err = c.Contacts.Create(ctx, highlevel.ContactInput{FirstName: "B", Email: "same@example.com"})
	var de *highlevel.DuplicateContactError
	require.ErrorAs(t, err, &de)
	assert.Equal(t, first.ID, de.ContactID)
	assert.Equal(t, "email", de.MatchingField)
}

func TestSimBusinesses(t *testing.T) {
	sim, c := newServicesSim(t, nil)
	ctx := context.Background()
	loc := hltest.DefaultLocationID
	b, err := c.Businesses.Create(ctx, highlevel.BusinessInput{Name: "Smile Dental", City: "Austin", Country: "US"})
	require.NoError(t, err)
	require.NotEmpty(t, b.ID)
	got, err := c.Businesses.Get(ctx, b.ID)
	require.NoError(t, err)
	assert.Equal(t, "Smile Dental", got.Name)
	upd, err := c.Businesses.Update(ctx, b.ID, highlevel.BusinessUpdate{Description: highlevel.Ptr("family practice")})
	require.NoError(t, err)
	assert.Equal(t, "family practice", upd.Description)
	for i := range 4 {
		_, err := c.Businesses.Create(ctx, highlevel.BusinessInput{Name: "B" + string(rune('0'+i))})
		require.NoError(t, err)
	}
	n := 0
	for _, err := range c.Businesses.List(ctx, highlevel.BusinessListOptions{PageSize: 2}) {
		require.NoError(t, err)
		n++
	}
	assert.Equal(t, 5, n)

	c1, err := c.Contacts.Create(ctx, highlevel.ContactInput{FirstName: "A", Email: "a@example.com"})
	require.NoError(t, err)
	c2, err := c.Contacts.Create(ctx, highlevel.ContactInput{FirstName: "B", Email: "b@example.com"})
	require.NoError(t, err)
	res, err := c.Businesses.LinkContacts(ctx, b.ID, []string{c1.ID, c2.ID})
	require.NoError(t, err)
	assert.True(t, res.Success)
	s1, _ := sim.Contact(loc, c1.ID)
	assert.Equal(t, b.ID, s1.BusinessID)
	_, err = c.Businesses.UnlinkContacts(ctx, []string{c1.ID})
	require.NoError(t, err)
	s1, _ = sim.Contact(loc, c1.ID)
	assert.Empty(t, s1.BusinessID)
	s2, _ := sim.Contact(loc, c2.ID)
	assert.Equal(t, b.ID, s2.BusinessID)

	require.NoError(t, c.Businesses.Delete(ctx, b.ID))
	_, err = c.Businesses.Get(ctx, b.ID)
	assert.ErrorIs(t, err, highlevel.ErrNotFound)
}

// TestSimNo429UnderLoad: with the client's limiter matching HighLevel's
// (scaled) limit, many goroutines never draw a single 429 from the
// simulator's sliding-window limiter.
func TestSimNo429UnderLoad(t *testing.T) {
	if testing.Short() {
		t.Skip("timing test; runs without -short")
	}
	const (
		limit  = 20
		window = 500 * time.Millisecond
	)
	sim := hltest.NewServer(hltest.Options{RateLimit: hltest.RateLimit{Max: limit, Window: window, Sliding: true}})
	t.Cleanup(sim.Close)
	lim, err := highlevel.NewLimiter(highlevel.LimiterOptions{Requests: limit, Window: window, Margin: window / 10})
	require.NoError(t, err)
	var throttled atomic.Int32
	c, err := highlevel.NewClient(highlevel.Options{BaseURL: sim.URL, LocationID: hltest.DefaultLocationID,
		Auth: highlevel.StaticToken(hltest.DefaultToken), Limiter: lim,
		OnCall: func(call highlevel.Call) {
			if call.StatusCode == 429 {
				throttled.Add(1)
			}
		}})
	require.NoError(t, err)
	var wg sync.WaitGroup
	for w := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range 8 {
				_, err := c.Contacts.Create(context.Background(), highlevel.ContactInput{FirstName: "P", LastName: string(rune('a'+w)) + string(rune('a'+i))})
				assert.NoError(t, err)
			}
		}()
	}
	wg.Wait()
	assert.Zero(t, throttled.Load(), "429s drawn")
	assert.Equal(t, 64, sim.Count(hltest.DefaultLocationID, hltest.KindContact))
}

// TestSimAdaptsToServerLimits: a client configured above HighLevel's limit
// draws 429s at first, learns the real limit from X-RateLimit-Max, and
// completes every call.
func TestSimAdaptsToServerLimits(t *testing.T) {
	if testing.Short() {
		t.Skip("timing test; runs without -short")
	}
	sim := hltest.NewServer(hltest.Options{RateLimit: hltest.RateLimit{Max: 10, Window: 300 * time.Millisecond, RetryAfter: false}})
	t.Cleanup(sim.Close)
	lim, err := highlevel.NewLimiter(highlevel.LimiterOptions{Requests: 1000, Window: 300 * time.Millisecond})
	require.NoError(t, err)
	c, err := highlevel.NewClient(highlevel.Options{BaseURL: sim.URL, LocationID: hltest.DefaultLocationID,
		Auth: highlevel.StaticToken(hltest.DefaultToken), Limiter: lim,
		Retry: highlevel.RetryPolicy{MaxAttempts: 10, BaseDelay: 50 * time.Millisecond, MaxDelay: 300 * time.Millisecond}})
	require.NoError(t, err)
	for i := range 40 {
		_, err := c.Contacts.Create(context.Background(), highlevel.ContactInput{FirstName: "P", LastName: string(rune('a' + i))})
		require.NoError(t, err)
	}
	n, _ := lim.Limit()
	assert.Equal(t, 10, n, "limit learnt from X-RateLimit-Max")
}

func TestSimDailyLimit(t *testing.T) {
	sim := hltest.NewServer(hltest.Options{RateLimit: hltest.RateLimit{Daily: 3}})
	t.Cleanup(sim.Close)
	c, err := highlevel.NewClient(highlevel.Options{BaseURL: sim.URL, LocationID: hltest.DefaultLocationID,
		Auth: highlevel.StaticToken(hltest.DefaultToken)})
	require.NoError(t, err)
	ctx := context.Background()
	var daily error
	for range 6 {
		if _, err := c.Contacts.Create(ctx, highlevel.ContactInput{FirstName: "x"}); err != nil {
			daily = err
			break
		}
	}
	require.ErrorIs(t, daily, highlevel.ErrDailyLimit)
	var rl *highlevel.RateLimitError
	require.True(t, errors.As(daily, &rl))
	assert.True(t, rl.Daily)
	served := len(sim.RequestLog())
	_, err = c.Contacts.Get(ctx, "x")
	require.ErrorIs(t, err, highlevel.ErrDailyLimit)
	assert.Len(t, sim.RequestLog(), served, "no request sent once the daily quota is known spent")
}

// TestSimFaults: a create whose answer is lost is reported as outcome
// unknown (and did happen); reads survive transient 5xx and drops.
func TestSimFaults(t *testing.T) {
	for _, lost := range []hltest.LostAs{hltest.LostAs5xx, hltest.LostAsReset} {
		sim, c := newServicesSim(t, func(o *hltest.Options) {
			o.Faults = []hltest.FaultRule{{Route: "POST /contacts/", LostResponseRate: 1, LostAs: lost}}
		})
		_, err := c.Contacts.Create(context.Background(), highlevel.ContactInput{FirstName: "Lost", Email: "lost@example.com"})
		require.ErrorIs(t, err, highlevel.ErrOutcomeUnknown, "lost as %v", lost)
		assert.Equal(t, 1, sim.Count(hltest.DefaultLocationID, hltest.KindContact), "the write was applied once and not retried")
	}

	sim, _ := newServicesSim(t, nil)
	// A breaker that tolerates the injected failure rate (5 in a row is
	// likely over many attempts at 40%).
	lim, err := highlevel.NewLimiter(highlevel.LimiterOptions{BreakerFailures: 1000})
	require.NoError(t, err)
	c, err := highlevel.NewClient(highlevel.Options{BaseURL: sim.URL, LocationID: hltest.DefaultLocationID,
		Auth: highlevel.StaticToken(hltest.DefaultToken), Limiter: lim,
		Retry: highlevel.RetryPolicy{MaxAttempts: 6, BaseDelay: time.Millisecond, MaxDelay: 5 * time.Millisecond}})
	require.NoError(t, err)
	ct, err := c.Contacts.Create(context.Background(), highlevel.ContactInput{FirstName: "A"})
	require.NoError(t, err)
	sim.SetFaults(hltest.FaultRule{Route: "GET /contacts/{contactId}", ServerErrorRate: 0.3, DropRate: 0.1})
	ok := 0
	for range 20 {
		got, err := c.Contacts.Get(context.Background(), ct.ID)
		if err != nil {
			continue // six failed attempts in a row: possible (0.4^6), and still an error
		}
		assert.Equal(t, ct.ID, got.ID)
		ok++
	}
	assert.GreaterOrEqual(t, ok, 17, "retries absorb transient 5xx and drops")
}

func TestSimDailyRemainingIsReported(t *testing.T) {
	_, c := newServicesSim(t, nil)
	_, ok := c.Limiter().DailyRemaining()
	assert.False(t, ok)
	_, err := c.Contacts.Count(context.Background(), highlevel.ContactSearch{})
	require.NoError(t, err)
	n, ok := c.Limiter().DailyRemaining()
	require.True(t, ok)
	assert.Positive(t, n)
}
