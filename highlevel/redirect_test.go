package highlevel

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestCreateRedirectedIsRefused: a contact create answered 307 (or 308) to
// another server is not re-sent there: the patient's body and the token
// never reach it, its 201 is never taken as the create's answer, and the
// error says a redirect was refused without the target's path or query.
func TestCreateRedirectedIsRefused(t *testing.T) {
	for _, status := range []int{http.StatusTemporaryRedirect, http.StatusPermanentRedirect, http.StatusFound} {
		var mu sync.Mutex
		var seen []string
		other := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			b, _ := io.ReadAll(r.Body)
			mu.Lock()
			seen = append(seen, r.Method+" "+r.Header.Get("Authorization")+" "+string(b))
			mu.Unlock()
			w.WriteHeader(http.StatusCreated)
			_, _ = w.Write([]byte(`{"contact":{"id":"planted"}}`))
		}))
		hl := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Location", other.URL+"/contacts/?token=stolen-value")
			w.WriteHeader(status)
		}))
		c, err := NewClient(Options{BaseURL: hl.URL, LocationID: "loc1", Auth: StaticToken("pit-secret")})
		require.NoError(t, err)
		ct, err := c.Contacts.Create(context.Background(), ContactInput{FirstName: "Jane", LastName: "O'Brien", Email: "jane.obrien@example.com"})
		require.ErrorIs(t, err, ErrRedirectRefused, "status %d", status)
		assert.NotErrorIs(t, err, ErrOutcomeUnknown)
		assert.Nil(t, ct)
		for _, leak := range []string{"pit-secret", "stolen-value", "Jane", "jane.obrien"} {
			assert.NotContains(t, err.Error(), leak)
		}
		assert.True(t, strings.Contains(err.Error(), "contacts.create"), err.Error())
		mu.Lock()
		assert.Empty(t, seen, "status %d: the other server was contacted", status)
		mu.Unlock()
		hl.Close()
		other.Close()
	}
}
