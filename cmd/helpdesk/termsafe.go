package main

import (
	"bytes"
	"fmt"
	"strings"
	"unicode/utf8"
)

// Everything the commands print comes, in the end, from strangers' mail,
// and a terminal obeys what it is sent (ECMA-48): ESC and the C1 controls
// (U+009B is a one-character CSI) set the window title, write the
// clipboard (OSC 52), clear the screen or dress a link up as other text
// (OSC 8). Bidi controls (Unicode TR9) make a name or a file name read
// backwards ("invoice\u202Efdp.exe"). So text for a terminal shows each
// control as a visible escape, and JSON escapes the ones encoding/json
// leaves raw.

// isBidiControl reports the Unicode bidi formatting characters (TR9 2):
// ALM, LRM, RLM, the embeddings and overrides, and the isolates.
func isBidiControl(r rune) bool {
	return r == '\u061c' || r == '\u200e' || r == '\u200f' ||
		('\u202a' <= r && r <= '\u202e') || ('\u2066' <= r && r <= '\u2069')
}

// isTerminalControl reports C0 (but tab and newline), DEL and C1.
func isTerminalControl(r rune) bool {
	return (r < 0x20 && r != '\t' && r != '\n') || (0x7f <= r && r <= 0x9f)
}

// isBidiOverride reports LRO and RLO, which reorder the text they start
// regardless of its letters; right-to-left text itself needs only marks,
// embeddings and isolates.
func isBidiOverride(r rune) bool { return r == '\u202d' || r == '\u202e' }

// termText makes a block of text (a mail body) safe to print: controls
// other than tab and newline, and the bidi overrides, become visible
// escapes; other bidi controls stay, since right-to-left text needs them.
// Bytes that are not UTF-8 become U+FFFD: a stray 0x9B byte is a CSI to
// some terminals.
func termText(s string) string { return sanitize(s, false) }

// termLine makes a one-line field (a name, an address, a subject, a file
// name, an event) safe to print: every control, tab and newline included,
// and every bidi control becomes a visible escape.
func termLine(s string) string { return sanitize(s, true) }

func sanitize(s string, line bool) string {
	clean := true
	for _, r := range s {
		if r == utf8.RuneError || isTerminalControl(r) || isBidiOverride(r) || (line && (r == '\t' || r == '\n' || isBidiControl(r))) {
			clean = false
			break
		}
	}
	if clean {
		return s
	}
	var b strings.Builder
	b.Grow(len(s) + 16)
	for _, r := range s {
		switch {
		case r == '\t' && line:
			b.WriteString(`\t`)
		case r == '\n' && line:
			b.WriteString(`\n`)
		case r == '\r':
			b.WriteString(`\r`)
		case r < 0x80 && isTerminalControl(r):
			fmt.Fprintf(&b, `\x%02x`, r)
		case isTerminalControl(r) || isBidiOverride(r) || (line && isBidiControl(r)):
			fmt.Fprintf(&b, `\u%04x`, r)
		default:
			b.WriteRune(r) // a byte that is not UTF-8 comes as RuneError and is written as U+FFFD
		}
	}
	return b.String()
}

// jsonForTerminal escapes in encoded JSON the characters encoding/json
// writes raw but a terminal may act on: DEL, C1 and the bidi controls.
// They can only stand inside strings there, where \uXXXX means the same.
func jsonForTerminal(js []byte) []byte {
	i := bytes.IndexFunc(js, func(r rune) bool { return r == 0x7f || (0x80 <= r && r <= 0x9f) || isBidiControl(r) })
	if i < 0 {
		return js
	}
	out := make([]byte, 0, len(js)+32)
	out = append(out, js[:i]...)
	for _, r := range string(js[i:]) {
		if r == 0x7f || (0x80 <= r && r <= 0x9f) || isBidiControl(r) {
			out = fmt.Appendf(out, `\u%04x`, r)
			continue
		}
		out = utf8.AppendRune(out, r)
	}
	return out
}
