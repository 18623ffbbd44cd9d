package mailout

import (
	"bufio"
	"bytes"
	"net/textproto"
	"testing"
)

// dotWriterOutput is what net/textproto's DotWriter makes of data.
func dotWriterOutput(data []byte) []byte {
	var out bytes.Buffer
	bw := bufio.NewWriter(&out)
	dw := textproto.NewWriter(bw).DotWriter()
	dw.Write(data)
	dw.Close()
	bw.Flush()
	return out.Bytes()
}

// dotStuffed is what writeDotStuffed makes of data.
func dotStuffed(t testing.TB, data []byte) []byte {
	t.Helper()
	var out bytes.Buffer
	bw := bufio.NewWriter(&out)
	if err := writeDotStuffed(bw, data); err != nil {
		t.Fatal(err)
	}
	bw.Flush()
	return out.Bytes()
}

func TestWriteDotStuffedWritesWhatTextprotoWrites(t *testing.T) {
	for _, data := range []string{
		"",
		"Subject: x\r\n\r\nbody\r\n",
		".leading dot\r\n..two\r\nmid.dle\r\n.\r\n",
		"bare\nline feeds\n.dot after LF\n",
		"no final line break",
		".",
		"\r\n.\r\n",
		"\n\n\n",
		"mixed\r\n\n.\r.\n",
	} {
		if got, want := dotStuffed(t, []byte(data)), dotWriterOutput([]byte(data)); !bytes.Equal(got, want) {
			t.Errorf("%q: wrote %q, textproto writes %q", data, got, want)
		}
	}
}

func FuzzWriteDotStuffed(f *testing.F) {
	f.Add([]byte("a\r\n.b\n..c\rd"))
	f.Fuzz(func(t *testing.T, data []byte) {
		if bareCR(data) {
			t.Skip("DotWriter's handling of bare carriage returns is its own (see TestWriteDotStuffedKeepsBareCarriageReturns)")
		}
		if got, want := dotStuffed(t, data), dotWriterOutput(data); !bytes.Equal(got, want) {
			t.Fatalf("%q: wrote %q, textproto writes %q", data, got, want)
		}
	})
}

// bareCR reports whether data holds a carriage return without a line feed
// after it.
func bareCR(data []byte) bool {
	for i, c := range data {
		if c == '\r' && (i+1 == len(data) || data[i+1] != '\n') {
			return true
		}
	}
	return false
}

func TestWriteDotStuffedKeepsBareCarriageReturns(t *testing.T) {
	for data, want := range map[string]string{
		"a\rb":       "a\rb\r\n.\r\n",
		"a\r\rb\r\n": "a\r\rb\r\n.\r\n",
		"a\r":        "a\r\n.\r\n",
		"\r\r\n":     "\r\r\n.\r\n",
	} {
		if got := string(dotStuffed(t, []byte(data))); got != want {
			t.Errorf("%q: wrote %q, want %q", data, got, want)
		}
	}
}
