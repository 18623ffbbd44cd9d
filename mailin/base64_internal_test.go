package mailin

import (
	"bytes"
	"encoding/base64"
	"math/rand/v2"
	"strings"
	"testing"
)

// The line-at-a-time decoder gives what the decoder a character at a
// time gave, on mail-shaped base64 and on every kind of damage.
func TestDecodeBase64AgreesWithTheDecoderACharacterAtATime(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	data := make([]byte, 3000)
	for i := range data {
		data[i] = byte(r.IntN(256))
	}
	wrap := func(s string, width int, nl string) string {
		var b strings.Builder
		for len(s) > width {
			b.WriteString(s[:width] + nl)
			s = s[width:]
		}
		b.WriteString(s)
		return b.String()
	}
	std := base64.StdEncoding.EncodeToString(data)
	inputs := []string{
		"", "QQ==", "QUJD", "QUJ", "QQ", "Q", "====", "QQ==QUJD", "QUJD\r\nQQ==\r\n",
		wrap(std, 76, "\r\n"), wrap(std, 76, "\n"), wrap(std, 72, "\r\n"), wrap(std, 75, "\n"),
		wrap(std, 76, "\r\n") + "\r\n\r\n", wrap(std, 76, " \r\n"), wrap(std, 76, "\r\n\t"),
		wrap(base64.URLEncoding.EncodeToString(data), 76, "\n"),
		wrap(base64.RawStdEncoding.EncodeToString(data[:100]), 76, "\n"),
		wrap(std[:400]+"=="+std[400:800], 76, "\n"),
		wrap(std, 76, "\r\r\n"), "QUJD\rQUJD\n", "QU JD\nQUJD\n", "QUJD QUJD\n",
		"This is not base64 at all, is it?\n", "QUJD!\nQUJD\n",
	}
	for i := 0; i < 300; i++ {
		b := []byte(wrap(std[:r.IntN(len(std))], 4*(1+r.IntN(20)), "\r\n"))
		for range r.IntN(4) {
			if len(b) > 0 {
				const damage = " \t\r\n=!-_A"
				b[r.IntN(len(b))] = damage[r.IntN(len(damage))]
			}
		}
		inputs = append(inputs, string(b))
	}
	for _, in := range inputs {
		got, gotOK := decodeBase64([]byte(in))
		want, wantOK := decodeBase64Before([]byte(in))
		if gotOK != wantOK || !bytes.Equal(got, want) {
			t.Errorf("decodeBase64(%.60q): %d bytes, %v; the decoder a character at a time: %d bytes, %v", in, len(got), gotOK, len(want), wantOK)
		}
	}
}

func BenchmarkDecodeBase64(b *testing.B) {
	data := make([]byte, 18<<20)
	for i := range data {
		data[i] = byte(i * 7)
	}
	enc := base64.StdEncoding.EncodeToString(data)
	var w strings.Builder
	for len(enc) > 76 {
		w.WriteString(enc[:76] + "\r\n")
		enc = enc[76:]
	}
	w.WriteString(enc)
	in := []byte(w.String())
	b.SetBytes(int64(len(in)))
	for b.Loop() {
		decodeBase64(in)
	}
}

// decodeBase64Before is decodeBase64 as it was, a character at a time:
// the reference the line-at-a-time decoder must agree with. It decodes leniently: whitespace and stray characters are
// skipped, padding may be missing or repeated (concatenated chunks). It
// gives up (ok false) when the input is plainly not base64.
func decodeBase64Before(b []byte) ([]byte, bool) {
	out := make([]byte, 0, len(b)*3/4+3)
	var acc uint32
	n, bad := 0, 0
	for i, c := range b {
		v := b64[c]
		if v == 0xff {
			switch c {
			case ' ', '\t':
				// A space between two base64 characters is text, not base64.
				if i > 0 && i+1 < len(b) && b64[b[i-1]] != 0xff && b64[b[i+1]] != 0xff {
					bad++
				}
			case '\n', '\r':
			case '=':
				switch n {
				case 2:
					out = append(out, byte(acc>>4))
				case 3:
					out = append(out, byte(acc>>10), byte(acc>>2))
				}
				acc, n = 0, 0
			default:
				bad++
			}
			continue
		}
		acc = acc<<6 | uint32(v)
		n++
		if n == 4 {
			out = append(out, byte(acc>>16), byte(acc>>8), byte(acc))
			acc, n = 0, 0
		}
	}
	switch n {
	case 2:
		out = append(out, byte(acc>>4))
	case 3:
		out = append(out, byte(acc>>10), byte(acc>>2))
	}
	if bad > 2+len(b)/50 {
		return nil, false
	}
	return out, true
}
