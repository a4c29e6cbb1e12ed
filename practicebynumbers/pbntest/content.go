package pbntest

import (
	"encoding/binary"
	"io"

	pbn "github.com/pbnhl/pbnhl/practicebynumbers"
)

// Document returns the metadata of generated document id.
func (p *Practice) Document(id int64) (pbn.Document, bool) {
	pid := id / childStride
	if pid < 1 || pid > int64(p.patients) {
		return pbn.Document{}, false
	}
	ch := p.chart(int(pid-1), partForms)
	for _, d := range ch.Documents {
		if num(d.ID) == id {
			return d, true
		}
	}
	return pbn.Document{}, false
}

// DocumentContent returns the bytes of document d, generated on demand:
// exactly d.Size bytes that start with the magic number of d.MimeType
// (so sniffers agree with the metadata) and continue with bytes derived
// from the practice seed and the document id. Nothing is held in memory.
func (p *Practice) DocumentContent(d pbn.Document) io.Reader {
	return &contentReader{r: newRNG(p.seed, domDocumentContent, uint64(num(d.ID))), head: magicOf(d.MimeType), left: d.Size}
}

func magicOf(mime string) []byte {
	switch mime {
	case "application/pdf":
		return []byte("%PDF-1.7\n%\xe2\xe3\xcf\xd3\n")
	case "image/jpeg":
		return []byte{0xFF, 0xD8, 0xFF, 0xE0, 0x00, 0x10, 'J', 'F', 'I', 'F', 0x00}
	case "image/png":
		return []byte{0x89, 'P', 'N', 'G', '\r', '\n', 0x1A, '\n'}
	case "image/tiff":
		return []byte{'I', 'I', 0x2A, 0x00}
	}
	return nil
}

type contentReader struct {
	r    rng
	head []byte
	left int64
	buf  [8]byte
	nbuf int
}

func (c *contentReader) Read(b []byte) (int, error) {
	if c.left <= 0 {
		return 0, io.EOF
	}
	if int64(len(b)) > c.left {
		b = b[:c.left]
	}
	n := 0
	if len(c.head) > 0 {
		n = copy(b, c.head)
		c.head = c.head[n:]
	}
	for n < len(b) {
		if c.nbuf == 0 {
			binary.LittleEndian.PutUint64(c.buf[:], c.r.next())
			c.nbuf = 8
		}
		k := copy(b[n:], c.buf[8-c.nbuf:])
		c.nbuf -= k
		n += k
	}
	c.left -= int64(n)
	return n, nil
}
