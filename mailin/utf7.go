package mailin

import (
	"strings"
	"unicode/utf16"
	"unicode/utf8"
)

// utf7Labels are the charset names old Outlook versions and some mobile
// clients give UTF-7 (RFC 2152; IANA lists "UTF-7" and "UNICODE-1-1-UTF-7"
// with their cs aliases). golang.org/x/text has no UTF-7, so toUTF8 decodes
// it here.
var utf7Labels = map[string]bool{
	"utf-7": true, "utf7": true, "x-utf-7": true, "csutf7": true,
	"unicode-1-1-utf-7": true, "csunicode11utf7": true,
	"unicode-2-0-utf-7": true, "x-unicode-2-0-utf-7": true,
}

// utf7Base64 maps the base64 alphabet of RFC 2152 (RFC 2045's, without
// padding) to its values; other bytes map to 0xff.
var utf7Base64 = func() (t [256]byte) {
	for i := range t {
		t[i] = 0xff
	}
	const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"
	for i := 0; i < len(alphabet); i++ {
		t[alphabet[i]] = byte(i)
	}
	return t
}()

// decodeUTF7 decodes UTF-7 (RFC 2152) to UTF-8. It never fails:
//   - "+-" is a literal "+"; a "+" followed by neither "-" nor a base64
//     character is kept as written (a sender that forgot to escape it);
//   - a shift (RFC 2152 "Rule 2") ends at the first byte outside the base64
//     alphabet, which is dropped when it is "-"; a shift still open at the
//     end of the input simply ends there; leftover bits under 16 are
//     discarded;
//   - UTF-16 surrogate pairs are joined; a lone surrogate becomes U+FFFD;
//   - bytes over 0x7f (not UTF-7 at all) are kept when they form UTF-8 and
//     become U+FFFD otherwise.
func decodeUTF7(b []byte) string {
	out := make([]byte, 0, len(b)+len(b)/2)
	for i := 0; i < len(b); {
		c := b[i]
		i++
		if c != '+' {
			out = append(out, c)
			continue
		}
		if i < len(b) && b[i] == '-' {
			out = append(out, '+')
			i++
			continue
		}
		if i >= len(b) || utf7Base64[b[i]] == 0xff {
			out = append(out, '+')
			continue
		}
		var acc uint32
		var high uint16 // a high surrogate waiting for its low half
		nbits := 0
		for ; i < len(b) && utf7Base64[b[i]] != 0xff; i++ {
			acc = acc<<6 | uint32(utf7Base64[b[i]])
			nbits += 6
			if nbits < 16 {
				continue
			}
			nbits -= 16
			u := uint16(acc >> nbits)
			acc &= 1<<nbits - 1
			switch {
			case utf16.IsSurrogate(rune(u)) && u < 0xdc00: // high half
				if high != 0 {
					out = utf8.AppendRune(out, utf8.RuneError)
				}
				high = u
			case utf16.IsSurrogate(rune(u)): // low half
				r := utf8.RuneError
				if high != 0 {
					r = utf16.DecodeRune(rune(high), rune(u))
				}
				out = utf8.AppendRune(out, r)
				high = 0
			default:
				if high != 0 {
					out = utf8.AppendRune(out, utf8.RuneError)
					high = 0
				}
				out = utf8.AppendRune(out, rune(u))
			}
		}
		if high != 0 {
			out = utf8.AppendRune(out, utf8.RuneError)
		}
		if i < len(b) && b[i] == '-' {
			i++
		}
	}
	return strings.ToValidUTF8(string(out), "\uFFFD")
}
