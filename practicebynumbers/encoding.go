package practicebynumbers

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"strings"
	"unicode/utf16"
	"unicode/utf8"
)

// Encodings an export file may be read in ([ExportOptions].Encoding). The
// reader never guesses: without a name it reads UTF-8 (with or without a
// byte-order mark) and UTF-16 announced by a byte-order mark, and refuses
// anything else; a named encoding is used as named, and a byte-order mark
// that contradicts it is refused.
const (
	// EncodingAuto ("") detects by byte-order mark: UTF-8 BOM, UTF-16 LE
	// or BE BOM, else UTF-8 — a file without a BOM that is not valid UTF-8
	// (or that holds NUL bytes, as UTF-16 without a BOM does) is refused
	// whole with the first offending line, before any record is read.
	EncodingAuto = ""
	// EncodingUTF8 declares UTF-8: a cell that is not valid UTF-8 is a
	// row-level problem (file, line, column), the other rows are read.
	EncodingUTF8 = "utf-8"
	// EncodingUTF16LE and EncodingUTF16BE read UTF-16 of that byte order,
	// with or without its byte-order mark.
	EncodingUTF16LE = "utf-16le"
	EncodingUTF16BE = "utf-16be"
	// EncodingUTF16 reads UTF-16 in the order its byte-order mark says; a
	// file without one is refused.
	EncodingUTF16 = "utf-16"
	// EncodingWindows1252 reads Windows code page 1252, which Windows PMS
	// tools write. "latin1" and "iso-8859-1" name it too (as the WHATWG
	// encoding standard does: bytes 0x80–0x9F of such files are, in
	// practice, Windows-1252 punctuation, never C1 controls).
	EncodingWindows1252 = "windows-1252"
)

// ErrEncoding matches (errors.Is) every encoding problem: an unknown
// encoding name, a file that is not in the encoding it is read in, a
// byte-order mark contradicting the named encoding, a cell that is not
// valid text.
var ErrEncoding = errors.New("practicebynumbers: encoding")

// EncodingError says where a file stops being text of its encoding. It is
// wrapped in a *[FileError] (the file is refused) or is the Err of a
// [FieldError] (one cell; the row is refused). It holds no file content.
type EncodingError struct {
	Encoding string // the encoding read ("utf-8", "utf-16le", ...), or "" when none was named
	Line     int    // 1-based line of the file; 0 when the problem is the file's start (its mark)
	Column   int    // 1-based byte in the line (file refusals) or CSV column (cells); 0 if unknown
	Reason   string
}

func (e *EncodingError) Error() string {
	var b strings.Builder
	if e.Line > 0 {
		fmt.Fprintf(&b, "line %d", e.Line)
		if e.Column > 0 {
			fmt.Fprintf(&b, " column %d", e.Column)
		}
		b.WriteString(": ")
	}
	b.WriteString(e.Reason)
	return b.String()
}

// Is makes every EncodingError match ErrEncoding.
func (e *EncodingError) Is(target error) bool { return target == ErrEncoding }

// NormalizeEncoding returns the canonical name of an encoding name
// ("UTF8", "cp1252", "Latin-1" ...), or an error matching [ErrEncoding]
// that lists the names understood.
func NormalizeEncoding(name string) (string, error) {
	k := strings.ToLower(strings.TrimSpace(name))
	k = strings.NewReplacer("_", "", "-", "", " ", "").Replace(k)
	switch k {
	case "", "auto":
		return EncodingAuto, nil
	case "utf8":
		return EncodingUTF8, nil
	case "utf16le":
		return EncodingUTF16LE, nil
	case "utf16be":
		return EncodingUTF16BE, nil
	case "utf16":
		return EncodingUTF16, nil
	case "windows1252", "cp1252", "win1252", "latin1", "l1", "iso88591", "iso885915", "ansi":
		return EncodingWindows1252, nil
	}
	return "", &EncodingError{Reason: fmt.Sprintf("unknown encoding %q: use utf-8, utf-16le, utf-16be, utf-16 or windows-1252 (latin1)", name)}
}

// bom is the byte-order mark a file starts with.
type bom int

const (
	bomNone bom = iota
	bomUTF8
	bomUTF16LE
	bomUTF16BE
)

func (b bom) String() string {
	switch b {
	case bomUTF8:
		return "UTF-8"
	case bomUTF16LE:
		return "UTF-16LE"
	case bomUTF16BE:
		return "UTF-16BE"
	}
	return "no"
}

func sniffBOM(br *bufio.Reader) bom {
	head, _ := br.Peek(3)
	switch {
	case len(head) >= 3 && head[0] == 0xEF && head[1] == 0xBB && head[2] == 0xBF:
		return bomUTF8
	case len(head) >= 2 && head[0] == 0xFF && head[1] == 0xFE:
		return bomUTF16LE
	case len(head) >= 2 && head[0] == 0xFE && head[1] == 0xFF:
		return bomUTF16BE
	}
	return bomNone
}

// textMode is how a file's bytes become the UTF-8 the CSV parser reads.
type textMode struct {
	// decode wraps the file (after its mark) into UTF-8; nil reads it as is.
	decode func(io.Reader) io.Reader
	// encoding is what the file is read as, for messages.
	encoding string
	// mustScan: the file declared nothing, so it is read only if it is
	// valid UTF-8 throughout (checked before any record is yielded).
	mustScan bool
}

// chooseMode picks the decoding of a file from the named encoding and the
// file's mark, and discards the mark. A mark contradicting the name is an
// *EncodingError.
func chooseMode(br *bufio.Reader, named string) (textMode, error) {
	mark := sniffBOM(br)
	skip := func(n int) { _, _ = br.Discard(n) }
	refuse := func() (textMode, error) {
		return textMode{}, &EncodingError{Encoding: named, Reason: fmt.Sprintf(
			"the file starts with a %s byte-order mark but %s was named: name the encoding the file is in, or leave it empty to detect it", mark, named)}
	}
	utf16For := func(m bom) textMode {
		if m == bomUTF16LE {
			return textMode{decode: newUTF16LEReader, encoding: EncodingUTF16LE}
		}
		return textMode{decode: newUTF16BEReader, encoding: EncodingUTF16BE}
	}
	switch named {
	case EncodingAuto:
		switch mark {
		case bomUTF8:
			skip(3)
			return textMode{encoding: EncodingUTF8}, nil
		case bomUTF16LE, bomUTF16BE:
			skip(2)
			return utf16For(mark), nil
		}
		return textMode{encoding: EncodingUTF8, mustScan: true}, nil
	case EncodingUTF8:
		switch mark {
		case bomUTF8:
			skip(3)
		case bomUTF16LE, bomUTF16BE:
			return refuse()
		}
		return textMode{encoding: EncodingUTF8}, nil
	case EncodingUTF16:
		if mark != bomUTF16LE && mark != bomUTF16BE {
			return textMode{}, &EncodingError{Encoding: named, Reason: "utf-16 was named but the file has no UTF-16 byte-order mark: name utf-16le or utf-16be"}
		}
		skip(2)
		return utf16For(mark), nil
	case EncodingUTF16LE, EncodingUTF16BE:
		want := bomUTF16LE
		if named == EncodingUTF16BE {
			want = bomUTF16BE
		}
		switch mark {
		case want:
			skip(2)
		case bomNone:
		default:
			return refuse()
		}
		return utf16For(want), nil
	case EncodingWindows1252:
		if mark != bomNone {
			return refuse()
		}
		return textMode{decode: newWindows1252Reader, encoding: EncodingWindows1252}, nil
	}
	_, err := NormalizeEncoding(named)
	if err == nil {
		err = &EncodingError{Reason: fmt.Sprintf("encoding %q is not canonical", named)}
	}
	return textMode{}, err
}

// scanUTF8 reads r to its end and returns an *EncodingError at the first
// byte that is not valid UTF-8, or at the first NUL byte (UTF-16 without a
// byte-order mark reads as text with a NUL every other byte). Line and
// column count from 1 (column in bytes).
func scanUTF8(r io.Reader) error { return scanUTF8Size(r, 64<<10) }

// scanUTF8Size is scanUTF8 reading size bytes at a time (at least
// utf8.UTFMax, so a rune split across reads is carried over).
func scanUTF8Size(r io.Reader, size int) error {
	buf := make([]byte, max(size, utf8.UTFMax))
	line, col := 1, 0
	carry := 0
	for {
		n, err := io.ReadFull(r, buf[carry:])
		n += carry
		eof := err == io.EOF || err == io.ErrUnexpectedEOF
		if err != nil && !eof {
			return err
		}
		b := buf[:n]
		i := 0
		// Fast path: a chunk of valid UTF-8 without NUL only moves the
		// line and column (both found with the library's fast scans).
		if cut := fullRunes(b, eof); utf8.Valid(b[:cut]) && bytes.IndexByte(b[:cut], 0) < 0 {
			if nl := bytes.Count(b[:cut], []byte{'\n'}); nl > 0 {
				line += nl
				col = cut - (bytes.LastIndexByte(b[:cut], '\n') + 1)
			} else {
				col += cut
			}
			i = cut
		}
		for i < len(b) {
			c := b[i]
			if c < utf8.RuneSelf {
				switch c {
				case '\n':
					line, col = line+1, 0
				case 0:
					return &EncodingError{Line: line, Column: col + 1,
						Reason: "NUL byte: the file looks like UTF-16 without a byte-order mark; name its encoding (utf-16le or utf-16be)"}
				default:
					col++
				}
				i++
				continue
			}
			if !eof && !utf8.FullRune(b[i:]) {
				break // the rest of this rune is in the next read
			}
			r, size := utf8.DecodeRune(b[i:])
			if r == utf8.RuneError && size <= 1 {
				return &EncodingError{Line: line, Column: col + 1,
					Reason: "not valid UTF-8 and the file names no encoding: name the encoding it was exported in (e.g. windows-1252 for Latin-1), or utf-8 to read it as UTF-8 with the bad cells reported per row"}
			}
			col += size
			i += size
		}
		if eof {
			return nil
		}
		carry = copy(buf, b[i:])
	}
}

// fullRunes is the length of b without a rune that its end cuts (which
// the next read completes); at EOF all of b.
func fullRunes(b []byte, eof bool) int {
	if eof {
		return len(b)
	}
	for i := len(b) - 1; i >= 0 && i >= len(b)-utf8.UTFMax; i-- {
		if utf8.RuneStart(b[i]) {
			if !utf8.FullRune(b[i:]) {
				return i
			}
			break
		}
	}
	return len(b)
}

// utf16Reader decodes UTF-16 into UTF-8. A surrogate without its pair is
// written as its 3-byte generalized UTF-8 form, which is not valid UTF-8,
// and an odd last byte as 0xFF: both reach the cell they are in, which the
// reader then refuses as not valid text (file, line, column), instead of
// turning them silently into U+FFFD.
type utf16Reader struct {
	src     io.Reader
	big     bool
	in      []byte // undecoded input (pending half units, a high surrogate)
	inBuf   []byte
	out     []byte // decoded, not yet returned
	outBuf  []byte
	srcDone bool
	err     error
}

func newUTF16LEReader(r io.Reader) io.Reader { return newUTF16Reader(r, false) }
func newUTF16BEReader(r io.Reader) io.Reader { return newUTF16Reader(r, true) }

func newUTF16Reader(r io.Reader, bigEndian bool) *utf16Reader {
	return &utf16Reader{src: r, big: bigEndian, inBuf: make([]byte, 32<<10)}
}

func (u *utf16Reader) unit(b []byte) rune {
	if u.big {
		return rune(b[0])<<8 | rune(b[1])
	}
	return rune(b[1])<<8 | rune(b[0])
}

func (u *utf16Reader) Read(p []byte) (int, error) {
	for len(u.out) == 0 {
		if u.srcDone {
			if u.err != nil {
				return 0, u.err
			}
			return 0, io.EOF
		}
		u.fill()
	}
	n := copy(p, u.out)
	u.out = u.out[n:]
	return n, nil
}

// fill reads more input and decodes every complete code unit sequence.
func (u *utf16Reader) fill() {
	carry := copy(u.inBuf, u.in)
	n, err := u.src.Read(u.inBuf[carry:])
	b := u.inBuf[:carry+n]
	if err != nil {
		u.srcDone = true
		if err != io.EOF {
			u.err = err
		}
	}
	out := u.outBuf[:0]
	i := 0
	for i+2 <= len(b) {
		c := u.unit(b[i:])
		switch {
		case utf16.IsSurrogate(c) && c < 0xDC00: // high surrogate: needs its pair
			if i+4 > len(b) {
				if !u.srcDone {
					goto keep
				}
				out = appendLoneSurrogate(out, c)
				i += 2
				continue
			}
			lo := u.unit(b[i+2:])
			if lo >= 0xDC00 && lo <= 0xDFFF {
				out = utf8.AppendRune(out, utf16.DecodeRune(c, lo))
				i += 4
				continue
			}
			out = appendLoneSurrogate(out, c)
			i += 2
		case utf16.IsSurrogate(c): // a low surrogate first
			out = appendLoneSurrogate(out, c)
			i += 2
		default:
			out = utf8.AppendRune(out, c)
			i += 2
		}
	}
keep:
	rest := b[i:]
	if u.srcDone && len(rest) > 0 {
		// Odd trailing byte (or an unpaired tail): not text.
		for range rest {
			out = append(out, 0xFF)
		}
		rest = nil
	}
	u.in = append(u.in[:0], rest...)
	u.outBuf = out
	u.out = out
}

// appendLoneSurrogate writes the generalized UTF-8 form of a surrogate
// (ED A0..BF xx): not valid UTF-8, so the cell holding it is refused.
func appendLoneSurrogate(b []byte, c rune) []byte {
	return append(b, 0xE0|byte(c>>12), 0x80|byte(c>>6)&0x3F, 0x80|byte(c)&0x3F)
}

// windows1252 maps bytes 0x80..0x9F of Windows-1252 to runes; other bytes
// are Latin-1. The five bytes the code page leaves undefined map to the C1
// control of the same value, as the WHATWG standard does.
var windows1252 = [32]rune{
	'€', 0x81, '‚', 'ƒ', '„', '…', '†', '‡', 'ˆ', '‰', 'Š', '‹', 'Œ', 0x8D, 'Ž', 0x8F,
	0x90, '‘', '’', '“', '”', '•', '–', '—', '˜', '™', 'š', '›', 'œ', 0x9D, 'ž', 'Ÿ',
}

func windows1252Rune(c byte) rune {
	if c >= 0x80 && c < 0xA0 {
		return windows1252[c-0x80]
	}
	return rune(c)
}

// windows1252Reader decodes Windows-1252 into UTF-8. Every byte is a
// character, so the output is always valid UTF-8.
type windows1252Reader struct {
	src    io.Reader
	inBuf  []byte
	out    []byte
	outBuf []byte
	err    error
}

func newWindows1252Reader(r io.Reader) io.Reader {
	return &windows1252Reader{src: r, inBuf: make([]byte, 32<<10)}
}

func (w *windows1252Reader) Read(p []byte) (int, error) {
	for len(w.out) == 0 {
		if w.err != nil {
			return 0, w.err
		}
		n, err := w.src.Read(w.inBuf)
		w.err = err
		out := w.outBuf[:0]
		for _, c := range w.inBuf[:n] {
			if c < utf8.RuneSelf {
				out = append(out, c)
				continue
			}
			out = utf8.AppendRune(out, windows1252Rune(c))
		}
		w.outBuf, w.out = out, out
	}
	n := copy(p, w.out)
	w.out = w.out[n:]
	return n, nil
}

// firstInvalidUTF8 is the byte offset of the first invalid byte of s, or -1.
func firstInvalidUTF8(s string) int {
	for i := 0; i < len(s); {
		if s[i] < utf8.RuneSelf {
			i++
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && size <= 1 {
			return i
		}
		i += size
	}
	return -1
}
