package templates

import (
	"strconv"
	"strings"
)

// Problem is one thing wrong with a template file.
type Problem struct {
	// Path is the file concerned: the admin's file, or "embedded/NAME.part".
	Path string
	// Line is the line in that file, 0 when not known.
	Line int
	// Msg says what is wrong.
	Msg string
}

// String formats the problem as "path:line: message".
func (p Problem) String() string {
	if p.Line > 0 {
		return p.Path + ":" + strconv.Itoa(p.Line) + ": " + p.Msg
	}
	return p.Path + ": " + p.Msg
}

// Error lists every problem Load found; Load and Check return it as *Error.
type Error struct {
	// Problems are sorted by path, then line.
	Problems []Problem
}

// Error returns one line per problem.
func (e *Error) Error() string {
	lines := make([]string, len(e.Problems))
	for i, p := range e.Problems {
		lines[i] = p.String()
	}
	return strings.Join(lines, "\n")
}

// problemOf turns an error of text/template or html/template about the
// template named label into a Problem with its line. Those errors read
// "template: LABEL:LINE: msg", "template: LABEL:LINE:COL: executing "LABEL"
// at <.X>: msg" or "html/template:LABEL:LINE:COL: msg".
func problemOf(label string, err error) Problem {
	s := err.Error()
	for _, prefix := range []string{"template: ", "html/template:"} {
		if rest, ok := strings.CutPrefix(s, prefix); ok {
			s = rest
			break
		}
	}
	p := Problem{Path: label, Msg: s}
	rest, ok := strings.CutPrefix(s, label+":")
	if !ok {
		return p
	}
	p.Msg = strings.TrimSpace(rest)
	if line, after, ok := leadingNumber(rest); ok {
		p.Line = line
		rest = after
		if _, after, ok := leadingNumber(strings.TrimPrefix(rest, ":")); ok && strings.HasPrefix(rest, ":") {
			rest = after // the column
		}
		p.Msg = strings.TrimSpace(strings.TrimPrefix(rest, ":"))
	}
	p.Msg = strings.Replace(p.Msg, `executing "`+label+`" at `, "", 1)
	if strings.HasPrefix(p.Msg, "ends in a non-text context") {
		// html/template prints its internal parser state here.
		p.Msg = "ends inside an unclosed tag, attribute, <script> or comment"
	}
	return p
}

// leadingNumber parses the decimal number s starts with.
func leadingNumber(s string) (n int, rest string, ok bool) {
	i := 0
	for i < len(s) && s[i] >= '0' && s[i] <= '9' {
		i++
	}
	if i == 0 {
		return 0, s, false
	}
	n, err := strconv.Atoi(s[:i])
	return n, s[i:], err == nil
}
