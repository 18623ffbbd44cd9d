package tickets

import (
	"context"
	"errors"
	"strings"
)

// Macros render an admin's canned answers. An agent writes "#macro NAME"
// alone on a line of a reply, anywhere in it, and the macro's text,
// rendered for the ticket, takes the line's place in what the customer
// gets. An unknown macro is a wrong command: nothing changes and nothing
// is sent.
type Macros interface {
	// Macro renders macro name for notice n (the ticket, its customer,
	// the agent); an unknown name is an error wrapping ErrUnknownMacro.
	Macro(ctx context.Context, name string, n Notice) (string, error)
}

// ErrUnknownMacro is what Macros return for a name they do not have.
var ErrUnknownMacro = errors.New("unknown macro")

// macroName returns NAME of a "#macro NAME" line (trimmed), and whether l is one.
func macroName(l string) (string, bool) {
	l = strings.TrimSpace(l)
	if len(l) < 6 || !strings.EqualFold(l[:6], "#macro") {
		return "", false
	}
	rest := l[6:]
	if rest != "" && rest[0] != ' ' && rest[0] != '\t' {
		return "", false // "#macros" is another word
	}
	return strings.TrimSpace(rest), true
}

// expandMacros replaces each "#macro NAME" line of text with the macro's
// text for n. It returns the problems with the lines whose macro is
// unknown or does not render, numbered by their line in full (the
// reply's text the agent wrote).
func (s *Service) expandMacros(ctx context.Context, full, text string, n Notice) (string, []Problem) {
	if !strings.Contains(strings.ToLower(text), "#macro") {
		return text, nil
	}
	var problems []Problem
	lines := strings.Split(text, "\n")
	for i, l := range lines {
		name, ok := macroName(l)
		if !ok {
			continue
		}
		line := lineOf(full, l)
		if name == "" || strings.ContainsAny(name, " \t") {
			problems = append(problems, Problem{Line: line, Text: strings.TrimSpace(l), Format: "write one macro name after #macro"})
			continue
		}
		if s.opts.Macros == nil {
			problems = append(problems, Problem{Line: line, Text: strings.TrimSpace(l), Format: "no macro %q (the desk has no macros)", Args: []any{name}})
			continue
		}
		out, err := s.opts.Macros.Macro(ctx, name, n)
		switch {
		case errors.Is(err, ErrUnknownMacro):
			problems = append(problems, Problem{Line: line, Text: strings.TrimSpace(l), Format: "no macro %q (`helpdesk macros list` shows them)", Args: []any{name}})
		case err != nil:
			problems = append(problems, Problem{Line: line, Text: strings.TrimSpace(l), Format: "%v", Args: []any{err}})
		default:
			lines[i] = out
		}
	}
	return strings.Join(lines, "\n"), problems
}

// lineOf is the 1-based number of the first line of text that is l, 0 if none.
func lineOf(text, l string) int {
	for i, x := range strings.Split(text, "\n") {
		if x == l {
			return i + 1
		}
	}
	return 0
}
