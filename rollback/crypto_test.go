package rollback

import (
	"bytes"
	"context"
	"errors"
	"os"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

const secretMarker = "Zebulon-Quartermain-PHI"

func writeSecret(t *testing.T, l *Ledger) (RunID, Seq) {
	t.Helper()
	ctx := context.Background()
	run, err := l.BeginRun(ctx, RunOptions{Kind: KindDelta})
	require.NoError(t, err)
	seq, err := run.Intent(ctx, Intent{Op: OpUpdate, ObjectType: "contact", SourceKey: "p1", TargetID: "c1",
		Payload: []byte(`{"lastName":"` + secretMarker + `"}`), Before: []byte(`{"lastName":"Before-` + secretMarker + `"}`)})
	require.NoError(t, err)
	require.NoError(t, run.Outcome(ctx, seq, Done("c1")))
	return run.ID(), seq
}

func fileContains(t *testing.T, path, s string) bool {
	t.Helper()
	found := false
	paths := []string{path, path + "-wal"}
	if backend, _ := parseLocation(path); backend == backendPostgres {
		paths = pgDatabaseFiles(t, path)
	}
	for _, p := range paths {
		b, err := os.ReadFile(p)
		if errors.Is(err, os.ErrNotExist) {
			continue
		}
		require.NoError(t, err)
		found = found || bytes.Contains(b, []byte(s))
	}
	return found
}

func onlyEntry(t *testing.T, l *Ledger) Entry {
	t.Helper()
	es := collect(t, l.Entries(context.Background(), EntryFilter{}))
	require.Len(t, es, 1)
	return es[0]
}

func TestEncryptionRoundTrip(t *testing.T) {
	eachBackend(t, func(t *testing.T) {
		ctx := context.Background()
		path := newLocation(t)
		l := openTest(t, path, Options{Key: testKey(7)})
		writeSecret(t, l)
		require.NoError(t, l.Close())
		assert.False(t, fileContains(t, path, secretMarker), "payload and before-image must not be stored in clear")

		l = openTest(t, path, Options{Key: testKey(7)})
		info, err := l.Info(ctx)
		require.NoError(t, err)
		assert.Equal(t, "aes-256-gcm", info.Encryption)
		assert.Equal(t, StaticKey(testKey(7)).KeyID(), info.KeyID)
		assert.Zero(t, info.PlaintextEntries)
		e := onlyEntry(t, l)
		assert.Equal(t, info.KeyID, e.KeyID)
		p, err := l.Payload(ctx, e)
		require.NoError(t, err)
		assert.JSONEq(t, `{"lastName":"`+secretMarker+`"}`, string(p))
		b, err := l.Before(ctx, e)
		require.NoError(t, err)
		assert.JSONEq(t, `{"lastName":"Before-`+secretMarker+`"}`, string(b))
		assert.Equal(t, Digest(p), e.PayloadDigest, "digest is of the plaintext")
	})
}

func TestEncryptionWrongOrMissingKey(t *testing.T) {
	eachBackend(t, func(t *testing.T) {
		ctx := context.Background()
		path := newLocation(t)
		l := openTest(t, path, Options{Key: testKey(7)})
		writeSecret(t, l)
		require.NoError(t, l.Close())

		_, err := Open(ctx, path, Options{Key: testKey(8), Logger: quietLogger()})
		require.ErrorIs(t, err, ErrWrongKey)
		var ke *KeyError
		require.ErrorAs(t, err, &ke)
		assert.Equal(t, StaticKey(testKey(7)).KeyID(), ke.KeyID)
		assert.NotContains(t, err.Error(), string(testKey(8)))

		_, err = Open(ctx, path, Options{Logger: quietLogger()})
		require.ErrorIs(t, err, ErrNoKey, "no key and no explicit plaintext choice")
		_, err = Open(ctx, path, Options{Plaintext: true, Logger: quietLogger()})
		require.ErrorIs(t, err, ErrKeyRequired, "plaintext chosen but the ledger is encrypted")
		_, err = Open(ctx, path, Options{ReadOnly: true, Logger: quietLogger()})
		require.ErrorIs(t, err, ErrKeyRequired, "reading an encrypted ledger needs its key")
		ro, err := Open(ctx, path, Options{ReadOnly: true, Key: testKey(7), Logger: quietLogger()})
		require.NoError(t, err)
		info, err := ro.Info(ctx)
		require.NoError(t, err)
		assert.Equal(t, "aes-256-gcm", info.Encryption)
		assert.Equal(t, StaticKey(testKey(7)).KeyID(), info.KeyID)
		require.NoError(t, ro.Close())
		_, err = Open(ctx, path, Options{ReadOnly: true, Key: testKey(8), Logger: quietLogger()})
		require.ErrorIs(t, err, ErrWrongKey, "a read-only open checks the key too")

		// A provider that claims the right id but holds other bytes.
		liar := &rotatingKeys{current: StaticKey(testKey(7)).KeyID(), keys: map[string][]byte{StaticKey(testKey(7)).KeyID(): testKey(8)}}
		_, err = Open(ctx, path, Options{KeyProvider: liar, Logger: quietLogger()})
		require.ErrorIs(t, err, ErrWrongKey)
	})
}

func TestEncryptionBindsBlobToRow(t *testing.T) {
	eachBackend(t, func(t *testing.T) {
		ctx := context.Background()
		l := openTest(t, "", Options{Key: testKey(7)})
		writeSecret(t, l)
		writeSecret(t, l)
		// Swap the first entry's payload into the second row: it must not open.
		_, err := rawDB(t, l).ExecContext(ctx, `UPDATE journal SET payload = (SELECT payload FROM journal WHERE id = 1) WHERE id = 2`)
		require.NoError(t, err)
		es := collect(t, l.Entries(ctx, EntryFilter{}))
		require.Len(t, es, 2)
		_, err = l.Payload(ctx, es[0])
		require.NoError(t, err)
		_, err = l.Payload(ctx, es[1])
		require.ErrorIs(t, err, ErrWrongKey)
	})
}

func TestPlaintextLedgerSaysSo(t *testing.T) {
	eachBackend(t, func(t *testing.T) {
		ctx := context.Background()
		path := newLocation(t)
		l := openTest(t, path, Options{})
		writeSecret(t, l)
		info, err := l.Info(ctx)
		require.NoError(t, err)
		assert.Equal(t, "none", info.Encryption)
		assert.Equal(t, int64(1), info.PlaintextEntries)
		require.NoError(t, l.Close())
		assert.True(t, fileContains(t, path, secretMarker))

		// Adding a key later encrypts new entries and still reads the old ones.
		l = openTest(t, path, Options{Key: testKey(1)})
		writeSecret(t, l)
		info, err = l.Info(ctx)
		require.NoError(t, err)
		assert.Equal(t, "aes-256-gcm", info.Encryption)
		assert.Equal(t, int64(1), info.PlaintextEntries)
		for e, err := range l.Entries(ctx, EntryFilter{}) {
			require.NoError(t, err)
			p, err := l.Payload(ctx, e)
			require.NoError(t, err)
			assert.Contains(t, string(p), secretMarker)
		}
	})
}

type rotatingKeys struct {
	current string
	keys    map[string][]byte
}

func (r *rotatingKeys) CurrentKey(context.Context) (string, []byte, error) {
	return r.current, r.keys[r.current], nil
}

func (r *rotatingKeys) Key(_ context.Context, id string) ([]byte, error) {
	k, ok := r.keys[id]
	if !ok {
		return nil, errors.New("unknown key id")
	}
	return k, nil
}

func TestKeyRotation(t *testing.T) {
	eachBackend(t, func(t *testing.T) {
		ctx := context.Background()
		path := newLocation(t)
		kp := &rotatingKeys{current: "kms-1", keys: map[string][]byte{"kms-1": testKey(1)}}
		l := openTest(t, path, Options{KeyProvider: kp})
		writeSecret(t, l)
		require.NoError(t, l.Close())

		kp.keys["kms-2"] = testKey(2)
		kp.current = "kms-2"
		l = openTest(t, path, Options{KeyProvider: kp})
		writeSecret(t, l)
		es := collect(t, l.Entries(ctx, EntryFilter{}))
		require.Len(t, es, 2)
		assert.Equal(t, "kms-1", es[0].KeyID)
		assert.Equal(t, "kms-2", es[1].KeyID)
		for _, e := range es {
			p, err := l.Payload(ctx, e)
			require.NoError(t, err)
			assert.Contains(t, string(p), secretMarker)
		}
		require.NoError(t, l.Close())

		// Rotating to a key while the provider has lost the previous one fails.
		lost := &rotatingKeys{current: "kms-3", keys: map[string][]byte{"kms-3": testKey(3)}}
		_, err := Open(ctx, path, Options{KeyProvider: lost, Logger: quietLogger()})
		require.ErrorIs(t, err, ErrWrongKey)
	})
}

func TestEncryptedBeforeImageWithoutPayload(t *testing.T) {
	eachBackend(t, func(t *testing.T) {
		ctx := context.Background()
		l := openTest(t, "", Options{Key: testKey(2)})
		run, err := l.BeginRun(ctx, RunOptions{Kind: KindDelta})
		require.NoError(t, err)
		_, err = run.Intent(ctx, Intent{Op: OpDelete, ObjectType: "note", TargetID: "c1", Before: []byte(`{"id":"n-` + secretMarker + `","body":"x"}`)})
		require.NoError(t, err)
		e := onlyEntry(t, l)
		assert.NotEmpty(t, e.KeyID)
		assert.False(t, e.HasPayload())
		b, err := l.Before(ctx, e)
		require.NoError(t, err)
		assert.JSONEq(t, `{"id":"n-`+secretMarker+`"}`, string(b), "a delete keeps only the id of its before-image")
		assert.False(t, fileContains(t, l.path, secretMarker), "sealed with the key")
	})
}
