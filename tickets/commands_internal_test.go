package tickets

import (
	"fmt"
	"testing"
)

func TestCommandsAreTheLinesAtTheTopOfAReply(t *testing.T) {
	for _, tc := range []struct {
		name, text, cmds, rest string
	}{
		{"commands, a blank line, the answer", "#status resolved\n#Priority p1\n\nHello Alice,\n#not a command here", `[status "resolved" priority "p1"]`, "Hello Alice,\n#not a command here"},
		{"blank lines before and between", "\n  #take  \n\n#tag +a -b\nThanks", `[take "" tag "+a -b"]`, "Thanks"},
		{"a note with its first line", "#note Called her.\nShe is fine.", `[note ""]`, "Called her.\nShe is fine."},
		{"a number is text", "#1 problem: the printer", `[]`, "#1 problem: the printer"},
		{"only text", "Hello", `[]`, "Hello"},
		{"nothing", "", `[]`, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cmds, rest := parseCommands(tc.text)
			var got []string
			for _, c := range cmds {
				got = append(got, c.name, fmt.Sprintf("%q", c.arg))
			}
			if fmt.Sprint(got) != tc.cmds || rest != tc.rest {
				t.Errorf("parseCommands(%q) = %v, %q; want %s, %q", tc.text, got, rest, tc.cmds, tc.rest)
			}
		})
	}
}
