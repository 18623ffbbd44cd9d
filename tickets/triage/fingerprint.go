package triage

import (
	"crypto/sha256"
	"encoding/hex"
	"slices"
	"strings"
)

// HeadBytes is the longest text a [Fingerprint] keeps whole; SketchSize
// the number of shingle hashes it keeps of a text of any length.
const (
	HeadBytes  = 16 << 10
	SketchSize = 256
)

// Fingerprint is what duplicate detection keeps of a mail that opened a
// ticket, so that a later mail is compared with it without reading the
// stored message: its size is bounded whatever the mail's.
type Fingerprint struct {
	// From is the sender's address, trimmed and in lower case.
	From string
	// Subject is the subject as [NormalizeSubject] leaves it.
	Subject string
	// TextHash is the hex SHA-256 of the text the sender wrote: the text
	// without quotes, in lower case, its words separated by one space (see
	// [NearDuplicate]).
	TextHash string
	// Shingles counts the distinct 5-character shingles of that text.
	Shingles int
	// Text is that text when it has at most HeadBytes bytes, else "".
	Text string
	// Sketch holds the SketchSize smallest hashes of those shingles, in
	// ascending order (all of them when there are fewer): a bottom-k
	// sketch, from which the similarity of two long texts is estimated.
	Sketch []uint64
}

// FingerprintOf returns the fingerprint of m's sender, subject and body.
func FingerprintOf(m Mail) Fingerprint {
	own := ownText(m.Body)
	sum := sha256.Sum256([]byte(own))
	// The distinct shingle hashes, ascending: sorted and compacted, which
	// is several times cheaper than a set of a thousand.
	sketch := shingleHashes(own)
	slices.Sort(sketch)
	sketch = slices.Compact(sketch)
	fp := Fingerprint{
		From:     strings.ToLower(strings.TrimSpace(m.From)),
		Subject:  NormalizeSubject(m.Subject),
		TextHash: hex.EncodeToString(sum[:]),
		Shingles: len(sketch),
		Sketch:   slices.Clip(sketch[:min(len(sketch), SketchSize)]),
	}
	if len(own) <= HeadBytes {
		fp.Text = own
	}
	return fp
}

// Repeats reports whether the mail of fingerprint b repeats that of a, as
// [Duplicate] says of the mails themselves, and with the same answer when
// both texts have at most HeadBytes bytes. Longer texts are the same when
// their hashes are equal, and near duplicates when the Jaccard similarity
// estimated from the sketches is at least [Similarity] (within about 0.02).
func (a Fingerprint) Repeats(b Fingerprint) bool {
	if a.From == "" || a.From != b.From || a.Subject != b.Subject {
		return false
	}
	if a.TextHash == b.TextHash {
		return true
	}
	// A similarity of at least Similarity needs the smaller set to be at
	// least Similarity of the larger.
	if a.Shingles == 0 || b.Shingles == 0 ||
		float64(min(a.Shingles, b.Shingles)) < Similarity*float64(max(a.Shingles, b.Shingles)) {
		return false
	}
	if a.Text != "" && b.Text != "" {
		return similar(shingles(a.Text), shingles(b.Text))
	}
	return sketchesSimilar(a.Sketch, b.Sketch)
}

// sketchesSimilar estimates from two bottom-k sketches whether their sets
// are similar: of the SketchSize smallest hashes of both sets together
// (all of which are in one sketch or both), the share found in both
// estimates the Jaccard similarity (Broder 1997, Cohen and Kaplan 2007).
func sketchesSimilar(a, b []uint64) bool {
	i, j, n, both := 0, 0, 0, 0
	for n < SketchSize && (i < len(a) || j < len(b)) {
		switch {
		case j == len(b) || i < len(a) && a[i] < b[j]:
			i++
		case i == len(a) || b[j] < a[i]:
			j++
		default:
			both++
			i, j = i+1, j+1
		}
		n++
	}
	return n > 0 && float64(both) >= Similarity*float64(n)
}
