package tickets

import (
	"regexp"
	"strconv"
	"strings"
)

// SubjectTag finds and writes the ticket tag in subjects, "[HD#1042]".
type SubjectTag struct {
	tag string
	re  *regexp.Regexp
}

// NewSubjectTag returns the tag handling for tag, e.g. "HD".
func NewSubjectTag(tag string) SubjectTag {
	return SubjectTag{tag: tag, re: regexp.MustCompile(`(?i)\[\s*` + regexp.QuoteMeta(tag) + `\s*#\s*0*([0-9]{1,19})\s*\]`)}
}

// Find returns the ticket ID in the subject's first tag whose number is
// a ticket ID, if there is one.
func (s SubjectTag) Find(subject string) (int64, bool) {
	for _, m := range s.re.FindAllStringSubmatch(subject, -1) {
		if id, err := strconv.ParseInt(m[1], 10, 64); err == nil {
			return id, true
		}
	}
	return 0, false
}

// FindAll returns the ticket IDs of every tag in the subject, in order.
func (s SubjectTag) FindAll(subject string) []int64 {
	var ids []int64
	for _, m := range s.re.FindAllStringSubmatch(subject, -1) {
		if id, err := strconv.ParseInt(m[1], 10, 64); err == nil {
			ids = append(ids, id)
		}
	}
	return ids
}

// Ensure returns subject with the ticket's tag in front, unless it carries it already.
func (s SubjectTag) Ensure(subject string, id int64) string {
	if got, ok := s.Find(subject); ok && got == id {
		return subject
	}
	subject = s.Strip(subject)
	tag := "[" + Ref(s.tag, id) + "]"
	if subject == "" {
		return tag
	}
	return tag + " " + subject
}

// Strip removes any ticket tag from subject. Removing one tag or collapsing
// spaces can make another ("[HD[HD#5]#7]", a no-break space inside one),
// so it repeats until none is left; each round removes a tag.
func (s SubjectTag) Strip(subject string) string {
	for {
		subject = strings.Join(strings.Fields(s.re.ReplaceAllString(subject, "")), " ")
		if !s.re.MatchString(subject) {
			return subject
		}
	}
}
