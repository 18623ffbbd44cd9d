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
		var out bytes.Buffer
		bw := bufio.NewWriter(&out)
		if err := writeDotStuffed(bw, []byte(data)); err != nil {
			t.Fatal(err)
		}
		bw.Flush()
		if want := dotWriterOutput([]byte(data)); !bytes.Equal(out.Bytes(), want) {
			t.Errorf("%q: wrote %q, textproto writes %q", data, out.Bytes(), want)
		}
	}
}

func FuzzWriteDotStuffed(f *testing.F) {
	f.Add([]byte("a\r\n.b\n..c\rd"))
	f.Fuzz(func(t *testing.T, data []byte) {
		if bareCR(data) {
			t.Skip("DotWriter's handling of bare carriage returns is its own (see TestWriteDotStuffedKeepsBareCarriageReturns)")
		}
		var out bytes.Buffer
		bw := bufio.NewWriter(&out)
		if err := writeDotStuffed(bw, data); err != nil {
			t.Fatal(err)
		}
		bw.Flush()
		if want := dotWriterOutput(data); !bytes.Equal(out.Bytes(), want) {
			t.Fatalf("%q: wrote %q, textproto writes %q", data, out.Bytes(), want)
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
		var out bytes.Buffer
		bw := bufio.NewWriter(&out)
		writeDotStuffed(bw, []byte(data))
		bw.Flush()
		if out.String() != want {
			t.Errorf("%q: wrote %q, want %q", data, out.String(), want)
		}
	}
}
