package practicebynumbers

import (
	"bytes"
	"context"
	"encoding/csv"
	"errors"
	"io"
	"strings"
	"testing"
	"testing/fstest"
	"testing/iotest"
	"time"
	"unicode/utf16"
	"unicode/utf8"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// patientsCSV renders a small patients.csv in UTF-8 (LF line ends).
func patientsCSV(t *testing.T, names ...[2]string) string {
	t.Helper()
	var b strings.Builder
	w := csv.NewWriter(&b)
	require.NoError(t, w.Write(CSVHeader(EntityPatients)))
	for i, n := range names {
		p := Patient{ID: KeyOf(int64(i + 1)), FirstName: n[0], LastName: n[1], Status: PatientStatus("Patient"),
			UpdatedAt: time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)}
		require.NoError(t, w.Write(CSVRow(&p, time.UTC, nil)))
	}
	w.Flush()
	require.NoError(t, w.Error())
	return b.String()
}

func utf16Bytes(s string, bigEndian, mark bool) []byte {
	units := utf16.Encode([]rune(s))
	var b []byte
	if mark {
		units = append([]uint16{0xFEFF}, units...)
	}
	for _, u := range units {
		if bigEndian {
			b = append(b, byte(u>>8), byte(u))
		} else {
			b = append(b, byte(u), byte(u>>8))
		}
	}
	return b
}

func readPatients(t *testing.T, data []byte, enc string) ([]Patient, []error) {
	t.Helper()
	r, err := NewExportReader(fstest.MapFS{"patients.csv": {Data: data}}, ExportOptions{Encoding: enc})
	require.NoError(t, err)
	var ps []Patient
	var errs []error
	for p, err := range r.Patients(context.Background(), ListOptions{}) {
		if err != nil {
			errs = append(errs, err)
			continue
		}
		ps = append(ps, p)
	}
	return ps, errs
}

// Issue 11.3: a UTF-16 export came through as "ÿþJennifer".
func TestExportUTF16ByMark(t *testing.T) {
	text := patientsCSV(t, [2]string{"Jennifer", "Nguyễn"}, [2]string{"Zoë", "O'Brien 😀"})
	for _, big := range []bool{false, true} {
		ps, errs := readPatients(t, utf16Bytes(text, big, true), "")
		require.Empty(t, errs, "big endian %v", big)
		require.Len(t, ps, 2)
		assert.Equal(t, "Jennifer", ps[0].FirstName, "the mark is not part of the first cell")
		assert.Equal(t, "Nguyễn", ps[0].LastName)
		assert.Equal(t, "O'Brien 😀", ps[1].LastName, "surrogate pairs are decoded")
		assert.Equal(t, Key("1"), ps[0].ID, "the id column (first header) is bound")
	}
	// Named, with or without its mark.
	ps, errs := readPatients(t, utf16Bytes(text, false, false), "utf-16le")
	require.Empty(t, errs)
	require.Len(t, ps, 2)
	assert.Equal(t, "Jennifer", ps[0].FirstName)
	ps, errs = readPatients(t, utf16Bytes(text, true, true), "UTF-16")
	require.Empty(t, errs)
	require.Len(t, ps, 2)

	// The inventory counts rows of a UTF-16 file too.
	r, err := NewExportReader(fstest.MapFS{"patients.csv": {Data: utf16Bytes(text, false, true)}}, ExportOptions{})
	require.NoError(t, err)
	inv, err := r.Inventory(context.Background())
	require.NoError(t, err)
	assert.Equal(t, int64(2), inv.Counts[EntityPatients])
}

func TestExportUTF16WithoutMarkRefused(t *testing.T) {
	text := patientsCSV(t, [2]string{"Jennifer", "Smith"})
	ps, errs := readPatients(t, utf16Bytes(text, false, false), "")
	assert.Empty(t, ps)
	require.Len(t, errs, 1)
	var fe *FileError
	require.ErrorAs(t, errs[0], &fe)
	assert.ErrorIs(t, errs[0], ErrEncoding)
	assert.Contains(t, errs[0].Error(), "utf-16le")
}

func TestExportLoneSurrogateIsRowProblem(t *testing.T) {
	text := patientsCSV(t, [2]string{"Ann", "Lee"}, [2]string{"XX", "Roe"})
	b := utf16Bytes(text, false, true)
	i := bytes.Index(b, utf16Bytes("XX", false, false))
	require.Positive(t, i)
	b[i], b[i+1] = 0x00, 0xD8 // a high surrogate followed by "X": unpaired
	ps, errs := readPatients(t, b, "")
	require.Len(t, ps, 1)
	require.Len(t, errs, 1)
	var re *RowError
	require.ErrorAs(t, errs[0], &re)
	assert.Equal(t, 3, re.Line)
	require.Len(t, re.Fields, 1)
	assert.Equal(t, 2, re.Fields[0].Column)
	assert.ErrorIs(t, errs[0], ErrEncoding)
}

// Issue 11.3: anything but UTF-8/UTF-16 must be named, or it is refused
// with the file and first offending line.
func TestExportLatin1WithoutEncodingRefused(t *testing.T) {
	text := patientsCSV(t, [2]string{"Ann", "Lee"}, [2]string{"Bob", "Ray"}, [2]string{"Renée", "Müller"})
	latin1 := toLatin1(text)
	ps, errs := readPatients(t, latin1, "")
	assert.Empty(t, ps, "no record of a refused file is read")
	require.Len(t, errs, 1)
	var fe *FileError
	var ee *EncodingError
	require.ErrorAs(t, errs[0], &fe)
	require.ErrorAs(t, errs[0], &ee)
	assert.Equal(t, "patients.csv", fe.File)
	assert.Equal(t, 4, ee.Line)
	assert.Equal(t, len("4,Ren")+1, ee.Column)
	assert.Contains(t, errs[0].Error(), "patients.csv: line 4 column 6")
	assert.Contains(t, errs[0].Error(), "windows-1252")
	assert.NotContains(t, errs[0].Error(), "Ren", "no value in the message")

	for _, enc := range []string{"windows-1252", "latin1", "ISO-8859-1", "cp1252"} {
		ps, errs = readPatients(t, latin1, enc)
		require.Empty(t, errs, enc)
		require.Len(t, ps, 3)
		assert.Equal(t, "Renée", ps[2].FirstName, enc)
		assert.Equal(t, "Müller", ps[2].LastName, enc)
	}
	// Windows-1252's own punctuation (0x80-0x9F).
	ps, errs = readPatients(t, []byte("patient_id,last_name\n1,O\x92Brien \x80\n"), "windows-1252")
	require.Empty(t, errs)
	assert.Equal(t, "O’Brien €", ps[0].LastName)
}

func toLatin1(s string) []byte {
	var b []byte
	for _, r := range s {
		if r > 0xFF {
			panic("not latin-1")
		}
		b = append(b, byte(r))
	}
	return b
}

// Issue 11.3: invalid UTF-8 inside a UTF-8 file is a row-level problem
// with file:line:column; the other rows are read.
func TestExportInvalidUTF8CellIsRowProblem(t *testing.T) {
	text := patientsCSV(t, [2]string{"Ann", "Lee"}, [2]string{"Bob", "R\xe9y"}, [2]string{"Cy", "Ode"})
	check := func(data []byte, enc string) {
		t.Helper()
		ps, errs := readPatients(t, data, enc)
		require.Len(t, ps, 2)
		require.Len(t, errs, 1)
		var re *RowError
		require.ErrorAs(t, errs[0], &re)
		assert.Equal(t, "patients.csv", re.File)
		assert.Equal(t, 3, re.Line)
		assert.Equal(t, Key("2"), re.ID)
		require.Len(t, re.Fields, 1)
		assert.Equal(t, 3, re.Fields[0].Column)
		assert.Equal(t, "last_name", re.Fields[0].Header)
		assert.ErrorIs(t, errs[0], ErrEncoding)
		assert.Contains(t, errs[0].Error(), "patients.csv:3 (id 2); column 3 (last_name)")
	}
	check(append([]byte{0xEF, 0xBB, 0xBF}, text...), "") // a UTF-8 mark declares UTF-8
	check([]byte(text), "utf-8")                         // so does naming it
}

func TestExportMarkContradictingEncodingRefused(t *testing.T) {
	text := patientsCSV(t, [2]string{"Ann", "Lee"})
	cases := []struct {
		data []byte
		enc  string
	}{
		{utf16Bytes(text, false, true), "windows-1252"},
		{utf16Bytes(text, true, true), "utf-16le"},
		{utf16Bytes(text, false, true), "utf-8"},
		{append([]byte{0xEF, 0xBB, 0xBF}, text...), "windows-1252"},
		{append([]byte{0xEF, 0xBB, 0xBF}, text...), "utf-16be"},
		{[]byte(text), "utf-16"},
	}
	for _, c := range cases {
		ps, errs := readPatients(t, c.data, c.enc)
		assert.Empty(t, ps, c.enc)
		require.Len(t, errs, 1, c.enc)
		var fe *FileError
		require.ErrorAs(t, errs[0], &fe, c.enc)
		assert.ErrorIs(t, errs[0], ErrEncoding, c.enc)
	}
	_, err := NewExportReader(fstest.MapFS{}, ExportOptions{Encoding: "ebcdic"})
	require.ErrorIs(t, err, ErrEncoding)
	assert.Contains(t, err.Error(), "windows-1252")
}

// Issue 11.2: a truncated patients.csv is reported with the line, once,
// not as a short count with the cut row among the problems.
func TestExportTruncatedFile(t *testing.T) {
	text := patientsCSV(t, [2]string{"Ann", "Lee"}, [2]string{"Bob", "Ray"}, [2]string{"Cy", "Ode"})
	cut := text[:strings.Index(text, "3,Cy")+6] // inside the last row, no line break
	ps, errs := readPatients(t, []byte(cut), "")
	require.Len(t, ps, 2, "the rows before the cut are read")
	require.Len(t, errs, 1, "the cut row is reported once")
	var fe *FileError
	var te *TruncatedError
	require.ErrorAs(t, errs[0], &fe)
	require.ErrorAs(t, errs[0], &te)
	assert.ErrorIs(t, errs[0], ErrTruncated)
	assert.Equal(t, 4, te.Line)
	assert.Equal(t, "patients.csv", fe.File)

	// A quote never closed swallows every later row into one cell; the
	// cell count may even match. It must not become a record.
	h := "patient_id,first_name,last_name,notes\n"
	bad := h + "1,Ann,Lee,ok\n2,Bob,Ray,\"opened\n3,Cy,Ode,x\n4,Di,Fay,y\n"
	ps, errs = readPatients(t, []byte(bad), "")
	require.Len(t, ps, 1)
	require.Len(t, errs, 1)
	require.ErrorAs(t, errs[0], &te)
	assert.Equal(t, 3, te.Line)

	// A quote in the header that is never closed swallows the file.
	ps, errs = readPatients(t, []byte("patient_id,\"first_name\n1,Ann\n2,Bob\n"), "")
	require.Empty(t, ps)
	require.Len(t, errs, 1)
	require.ErrorAs(t, errs[0], &te)
	assert.Equal(t, 1, te.Line)

	// A complete last row without a line break is fine; so is a quoted
	// cell with line breaks and escaped quotes.
	ok := h + "1,Ann,Lee,\"a \"\"b\"\"\nc\"\r\n2,Bob,Ray,z"
	ps, errs = readPatients(t, []byte(ok), "")
	require.Empty(t, errs)
	require.Len(t, ps, 2)
}

// A reader that stops early still closes cleanly and sees no truncation.
func TestExportEarlyStop(t *testing.T) {
	text := patientsCSV(t, [2]string{"Ann", "Lee"}, [2]string{"Bob", "Ray"})
	r, err := NewExportReader(fstest.MapFS{"patients.csv": {Data: []byte(text)}}, ExportOptions{})
	require.NoError(t, err)
	n := 0
	for _, err := range r.Patients(context.Background(), ListOptions{}) {
		require.NoError(t, err)
		n++
		break
	}
	assert.Equal(t, 1, n)
}

func TestNormalizeEncoding(t *testing.T) {
	for in, want := range map[string]string{"": "", "UTF8": EncodingUTF8, "utf_16LE": EncodingUTF16LE,
		"UTF-16BE": EncodingUTF16BE, "Latin-1": EncodingWindows1252, "CP1252": EncodingWindows1252} {
		got, err := NormalizeEncoding(in)
		require.NoError(t, err, in)
		assert.Equal(t, want, got, in)
	}
	_, err := NormalizeEncoding("shift-jis")
	require.ErrorIs(t, err, ErrEncoding)
}

func decodeAll(t *testing.T, r io.Reader) []byte {
	t.Helper()
	out, err := io.ReadAll(r)
	require.NoError(t, err)
	return out
}

func FuzzUTF16Reader(f *testing.F) {
	f.Add(utf16Bytes("Jennifer,😀\n", false, false), false)
	f.Add([]byte{0x00, 0xD8, 0x41, 0x00}, false)
	f.Add([]byte{0xD8, 0x00, 0xDC}, true)
	f.Fuzz(func(t *testing.T, data []byte, big bool) {
		whole := decodeAll(t, newUTF16Reader(bytes.NewReader(data), big))
		bytewise := decodeAll(t, newUTF16Reader(iotest.OneByteReader(bytes.NewReader(data)), big))
		require.Equal(t, whole, bytewise, "the result does not depend on how the input is read")
		units := make([]uint16, len(data)/2)
		for i := range units {
			if big {
				units[i] = uint16(data[2*i])<<8 | uint16(data[2*i+1])
			} else {
				units[i] = uint16(data[2*i+1])<<8 | uint16(data[2*i])
			}
		}
		valid := len(data)%2 == 0 && validUTF16(units)
		assert.Equal(t, valid, utf8.Valid(whole), "output is valid UTF-8 exactly when the input is valid UTF-16")
		if valid {
			assert.Equal(t, string(utf16.Decode(units)), string(whole))
		}
	})
}

func validUTF16(u []uint16) bool {
	for i := 0; i < len(u); i++ {
		switch {
		case u[i] >= 0xD800 && u[i] < 0xDC00:
			if i+1 >= len(u) || u[i+1] < 0xDC00 || u[i+1] > 0xDFFF {
				return false
			}
			i++
		case u[i] >= 0xDC00 && u[i] <= 0xDFFF:
			return false
		}
	}
	return true
}

func FuzzWindows1252Reader(f *testing.F) {
	f.Add([]byte("O\x92Brien \x80 caf\xe9"))
	f.Fuzz(func(t *testing.T, data []byte) {
		out := decodeAll(t, newWindows1252Reader(iotest.HalfReader(bytes.NewReader(data))))
		require.True(t, utf8.Valid(out))
		rs := []rune(string(out))
		require.Len(t, rs, len(data), "one character per byte")
		for i, c := range data {
			require.Equal(t, windows1252Rune(c), rs[i])
		}
	})
}

func FuzzScanUTF8(f *testing.F) {
	f.Add([]byte("a,b\nRen\xe9e\n"), uint8(4))
	f.Add([]byte("a\x00b"), uint8(7))
	f.Add([]byte("é😀\n\xF0\x9F"), uint8(5))
	f.Fuzz(func(t *testing.T, data []byte, size uint8) {
		err := scanUTF8Size(iotest.OneByteReader(bytes.NewReader(data)), int(size))
		bad := firstInvalidUTF8(string(data))
		if nul := bytes.IndexByte(data, 0); nul >= 0 && (bad < 0 || nul < bad) {
			bad = nul
		}
		if bad < 0 {
			require.NoError(t, err)
			return
		}
		var ee *EncodingError
		require.True(t, errors.As(err, &ee), "error %v at offset %d", err, bad)
		before := data[:bad]
		assert.Equal(t, 1+bytes.Count(before, []byte("\n")), ee.Line)
		assert.Equal(t, bad-(bytes.LastIndexByte(before, '\n')+1)+1, ee.Column)
	})
}

// refTailState is csvTail's state machine one byte at a time (the
// definition the fast version must agree with).
func refTailState(b []byte) uint8 {
	state := uint8(tailFieldStart)
	for _, c := range b {
		switch state {
		case tailFieldStart, tailUnquoted:
			switch c {
			case '"':
				if state == tailFieldStart {
					state = tailQuoted
				}
			case ',', '\n':
				state = tailFieldStart
			case '\r': // part of a line end: no change
			default:
				state = tailUnquoted
			}
		case tailQuoted:
			if c == '"' {
				state = tailQuoteInQuoted
			}
		case tailQuoteInQuoted:
			switch c {
			case '"':
				state = tailQuoted
			case ',', '\n':
				state = tailFieldStart
			case '\r':
			default:
				state = tailQuoted
			}
		}
	}
	return state
}

func FuzzCSVTail(f *testing.F) {
	f.Add([]byte("a,\"b\"\"c\"\n\"d\ne\",f\r\n\"g"), uint8(3))
	f.Add([]byte("x\"y,\"z\"w\n"), uint8(1))
	f.Fuzz(func(t *testing.T, data []byte, chunk uint8) {
		tail := &csvTail{src: iotest.HalfReader(bytes.NewReader(data))}
		buf := make([]byte, int(chunk%16)+1)
		for {
			_, err := tail.Read(buf)
			if err != nil {
				break
			}
		}
		require.Equal(t, refTailState(data), tail.state)
		// The tail agrees with the parser: a file ending inside a quoted
		// cell is one the parser reads to EOF in a quoted field.
		if tail.openQuote() {
			assert.Contains(t, string(data), `"`)
		}
	})
}
