package rollback

import (
	"context"
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"sync"
)

// KeyProvider supplies AES-256 keys by id, for hosts that keep keys in a KMS
// or rotate them. New entries are sealed with CurrentKey; entries written
// under an older id are opened with Key(id).
type KeyProvider interface {
	CurrentKey(ctx context.Context) (id string, key []byte, err error)
	Key(ctx context.Context, id string) ([]byte, error)
}

// StaticKey is a KeyProvider with one 32-byte key whose id is derived from
// a hash of the key (the id reveals nothing usable about the key).
type StaticKey []byte

// KeyID returns the id under which entries sealed with k are stored.
func (k StaticKey) KeyID() string {
	sum := sha256.Sum256(append([]byte("pbnhl/rollback/key-id\x00"), k...))
	return "k-" + hex.EncodeToString(sum[:8])
}

// CurrentKey implements KeyProvider.
func (k StaticKey) CurrentKey(context.Context) (string, []byte, error) {
	return k.KeyID(), k, nil
}

// Key implements KeyProvider.
func (k StaticKey) Key(_ context.Context, id string) ([]byte, error) {
	if id != k.KeyID() {
		return nil, &KeyError{KeyID: id, Err: ErrWrongKey}
	}
	return k, nil
}

const sealVersion = 1

// sealer encrypts blobs with the current key and opens blobs under any key
// the provider can supply. Its zero value (no provider) stores in clear.
type sealer struct {
	provider  KeyProvider
	currentID string
	current   cipher.AEAD

	mu   sync.Mutex
	byID map[string]cipher.AEAD
}

func newSealer(ctx context.Context, p KeyProvider) (*sealer, error) {
	s := &sealer{provider: p, byID: map[string]cipher.AEAD{}}
	if p == nil {
		return s, nil
	}
	id, key, err := p.CurrentKey(ctx)
	if err != nil {
		return nil, fmt.Errorf("rollback: current key: %w", err)
	}
	if id == "" {
		return nil, invalidArg("key id", "empty")
	}
	aead, err := newAEAD(key)
	if err != nil {
		return nil, &KeyError{KeyID: id, Err: err}
	}
	s.currentID, s.current = id, aead
	s.byID[id] = aead
	return s, nil
}

func newAEAD(key []byte) (cipher.AEAD, error) {
	if len(key) != 32 {
		return nil, fmt.Errorf("AES-256 key must be 32 bytes, got %d", len(key))
	}
	block, err := aes.NewCipher(key)
	if err != nil {
		return nil, err
	}
	return cipher.NewGCM(block)
}

func (s *sealer) enabled() bool { return s.current != nil }

// seal returns (blob, key id). Without a key the blob is the plaintext and
// the key id is empty. aad binds the blob to its row and column so a blob
// copied elsewhere in the file fails to open.
func (s *sealer) seal(plain []byte, aad string) ([]byte, string, error) {
	if plain == nil {
		return nil, "", nil
	}
	if s.current == nil {
		return plain, "", nil
	}
	ns := s.current.NonceSize()
	out := make([]byte, 1+ns, 1+ns+len(plain)+s.current.Overhead())
	out[0] = sealVersion
	if _, err := rand.Read(out[1 : 1+ns]); err != nil {
		return nil, "", fmt.Errorf("rollback: nonce: %w", err)
	}
	out = s.current.Seal(out, out[1:1+ns], plain, []byte(aad))
	return out, s.currentID, nil
}

func (s *sealer) aeadFor(ctx context.Context, id string) (cipher.AEAD, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if a, ok := s.byID[id]; ok {
		return a, nil
	}
	if s.provider == nil {
		return nil, &KeyError{KeyID: id, Err: ErrKeyRequired}
	}
	key, err := s.provider.Key(ctx, id)
	if err != nil {
		if errors.Is(err, ErrWrongKey) {
			return nil, err
		}
		return nil, &KeyError{KeyID: id, Err: fmt.Errorf("%w: %w", ErrWrongKey, err)}
	}
	a, err := newAEAD(key)
	if err != nil {
		return nil, &KeyError{KeyID: id, Err: err}
	}
	s.byID[id] = a
	return a, nil
}

// open reverses seal. keyID empty means the blob was stored in clear.
func (s *sealer) open(ctx context.Context, blob []byte, keyID, aad string) ([]byte, error) {
	if blob == nil || keyID == "" {
		return blob, nil
	}
	a, err := s.aeadFor(ctx, keyID)
	if err != nil {
		return nil, err
	}
	ns := a.NonceSize()
	if len(blob) < 1+ns+a.Overhead() || blob[0] != sealVersion {
		return nil, &KeyError{KeyID: keyID, Err: fmt.Errorf("%w: malformed ciphertext", ErrWrongKey)}
	}
	plain, err := a.Open(nil, blob[1:1+ns], blob[1+ns:], []byte(aad))
	if err != nil {
		return nil, &KeyError{KeyID: keyID, Err: ErrWrongKey}
	}
	return plain, nil
}

const keyCheckPlain = "pbnhl rollback key check"

func keyCheckAAD(id string) string { return "keycheck/" + id }
