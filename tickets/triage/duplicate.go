package triage

import (
	"regexp"
	"strings"

	"golang.org/x/text/unicode/norm"
)

// replyPrefixRE matches one reply or forward prefix at the start of a
// subject, in the words mail clients use across languages: Re, Fwd, Fw (en),
// AW, WG (de), SV, VS, VB, VL (nordic), Antw, Doorst (nl), Réf., TR (fr), RIF,
// R (it), Odp, PD (pl), ENC, RV (pt, es), YNT, İLT (tr), ΑΠ, ΣΧΕΤ, ΠΡΘ (el),
// Отв, Пересл (ru), 回复, 回覆, 转发, 轉寄, 答复 (zh), 返信, 転送 (ja).
// A counter ("Re[2]:", "Re(2):", "Re^2:"), a space before the colon
// ("RE :") and a full-width colon are allowed.
var replyPrefixRE = regexp.MustCompile(`(?i)^(?:(?:re|fwd?|aw|wg|sv|vs|vb|vl|antw|doorst|tr|rif|r|odp|pd|enc|rv|ynt|İlt|ilt|απ|σχετ|πρθ|отв|пересл|回复|回覆|转发|轉寄|答复|返信|転送)\s*(?:\[\d+\]|\(\d+\)|\^\d+)?\s*[:：]|r[ée]f\.\s*[:：]?)\s*`)

var (
	// leadingTagRE matches a bracketed tag at the start: "[HD#12]", "[users]".
	leadingTagRE = regexp.MustCompile(`^\[[^\[\]]*\]\s*`)
	// ticketTagRE matches a ticket tag anywhere: "[HD#12]", "[Ticket #12]".
	ticketTagRE = regexp.MustCompile(`\[[\p{L}\p{N} _-]{1,20}#\s*\d+\]`)
	// fwdSuffixRE matches the old "(fwd)" at the end.
	fwdSuffixRE = regexp.MustCompile(`(?i)\s*\(fwd\)$`)
)

// NormalizeSubject returns subject in the form used to compare subjects:
// without reply and forward prefixes in any common language (Re:, Fwd:, AW:,
// SV:, Antw:, RE :, Réf. :, TR:, RIF:, Odp:, R:, ...), without bracketed tags
// at the start ([HD#12], [list]) or ticket tags anywhere, repeatedly, in lower
// case, with runs of spaces collapsed into one.
func NormalizeSubject(subject string) string {
	s := norm.NFC.String(subject)
	s = ticketTagRE.ReplaceAllString(s, " ")
	for {
		s = strings.TrimSpace(s)
		if loc := replyPrefixRE.FindStringIndex(s); loc != nil {
			s = s[loc[1]:]
			continue
		}
		if loc := leadingTagRE.FindStringIndex(s); loc != nil {
			s = s[loc[1]:]
			continue
		}
		break
	}
	s = fwdSuffixRE.ReplaceAllString(s, "")
	return strings.Join(strings.Fields(strings.ToLower(s)), " ")
}

// Similarity is how alike two texts must be, by the Jaccard similarity of
// their 5-character shingles, for NearDuplicate to call them the same: about
// 95% of the text unchanged.
const Similarity = 0.9

// shingleRunes is the length of a shingle; maxShingleRunes bounds the text
// compared by similarity (the rest of a very long text counts only in the
// test for equal texts).
const (
	shingleRunes    = 5
	maxShingleRunes = 100_000
)

// NearDuplicate reports whether a and b are the same text, give or take
// quoting, white space, case and small edits. Quoted lines ("> ..."), the line
// introducing them ("On Monday, Ann wrote:") and everything after an
// "-----Original Message-----" line are left out, and runs of white space
// count as one space. Texts that are then not equal are near duplicates when
// the Jaccard similarity of their 5-character shingles is at least
// [Similarity]: a word changed in a paragraph passes, a sentence added does not.
func NearDuplicate(a, b string) bool {
	ta, tb := ownText(a), ownText(b)
	if ta == tb {
		return true
	}
	return similar(shingles(ta), shingles(tb))
}

// similar reports whether the Jaccard similarity of two shingle sets is at
// least [Similarity]; never for an empty set.
func similar(sa, sb map[uint64]struct{}) bool {
	if len(sa) == 0 || len(sb) == 0 {
		return false
	}
	inter := 0
	for h := range sa {
		if _, ok := sb[h]; ok {
			inter++
		}
	}
	union := len(sa) + len(sb) - inter
	return float64(inter) >= Similarity*float64(union)
}

// Duplicate reports whether b repeats a: the same sender, the same subject
// once normalised, and near-identical text. Whether b came within the
// duplicate window is the caller's to check.
func Duplicate(a, b Mail) bool {
	return strings.TrimSpace(a.From) != "" &&
		strings.EqualFold(strings.TrimSpace(a.From), strings.TrimSpace(b.From)) &&
		NormalizeSubject(a.Subject) == NormalizeSubject(b.Subject) &&
		NearDuplicate(a.Body, b.Body)
}

var originalMessageRE = regexp.MustCompile(`(?i)^-{2,}\s*original message\s*-{2,}$`)

// ownText returns the lower case text that the writer wrote, without quoted
// lines, their introduction and a forwarded original, its words separated by
// one space.
func ownText(text string) string {
	lines := strings.Split(strings.ReplaceAll(text, "\r\n", "\n"), "\n")
	quoted := func(l string) bool { return strings.HasPrefix(strings.TrimLeft(l, " \t"), ">") }
	var own strings.Builder
	own.Grow(len(text))
	for i, l := range lines {
		t := strings.TrimSpace(l)
		if strings.HasPrefix(t, "--") && originalMessageRE.MatchString(t) {
			break
		}
		if quoted(l) {
			continue
		}
		if strings.HasSuffix(t, ":") && nextNonBlankIsQuoted(lines[i+1:], quoted) {
			continue
		}
		for w := range strings.FieldsSeq(l) {
			if own.Len() > 0 {
				own.WriteByte(' ')
			}
			own.WriteString(w)
		}
	}
	return strings.ToLower(own.String())
}

func nextNonBlankIsQuoted(lines []string, quoted func(string) bool) bool {
	for _, l := range lines {
		if strings.TrimSpace(l) != "" {
			return quoted(l)
		}
	}
	return false
}

// shingles returns the hashes of every run of shingleRunes characters of s;
// none when s is shorter.
func shingles(s string) map[uint64]struct{} {
	hashes := shingleHashes(s)
	set := make(map[uint64]struct{}, len(hashes))
	for _, h := range hashes {
		set[h] = struct{}{}
	}
	return set
}

// shingleHashes is shingles as a list, in the order of s, with repeats.
func shingleHashes(s string) []uint64 {
	starts := make([]int, 0, min(len(s), maxShingleRunes+1)+1)
	for i := range s {
		if len(starts) > maxShingleRunes {
			break
		}
		starts = append(starts, i)
	}
	if len(starts) <= maxShingleRunes {
		starts = append(starts, len(s))
	}
	hashes := make([]uint64, 0, max(len(starts)-shingleRunes, 0))
	for i := 0; i+shingleRunes < len(starts); i++ {
		hashes = append(hashes, fnv64a(s[starts[i]:starts[i+shingleRunes]]))
	}
	return hashes
}

// fnv64a is the 64-bit FNV-1a hash of s.
func fnv64a(s string) uint64 {
	const offset, prime = 14695981039346656037, 1099511628211
	h := uint64(offset)
	for i := 0; i < len(s); i++ {
		h ^= uint64(s[i])
		h *= prime
	}
	return h
}
