package mailout

import (
	"bufio"
	"bytes"
)

// writeDotStuffed writes data as the content of an SMTP DATA command
// (RFC 5321 4.5.2), with the same result as net/textproto's DotWriter: a
// dot that begins a line doubled, a line feed without its carriage return
// given one, a last line ended, then the terminating ".". It writes line
// by line where DotWriter goes byte by byte.
func writeDotStuffed(w *bufio.Writer, data []byte) error {
	if len(data) == 0 {
		w.WriteString("\r\n")
	}
	for len(data) > 0 {
		if data[0] == '.' {
			w.WriteByte('.')
		}
		end := bytes.IndexByte(data, '\n')
		if end < 0 {
			w.Write(data)
			if data[len(data)-1] != '\r' {
				w.WriteByte('\r')
			}
			w.WriteByte('\n')
			break
		}
		line := data[:end]
		data = data[end+1:]
		w.Write(line)
		if len(line) == 0 || line[len(line)-1] != '\r' {
			w.WriteByte('\r')
		}
		w.WriteByte('\n')
	}
	_, err := w.WriteString(".\r\n")
	return err
}
