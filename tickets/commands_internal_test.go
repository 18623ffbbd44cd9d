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
		{"a resolution block runs to the empty line", "#status resolved\n#resolution Root cause: toner.\nFix: new cartridge.  \n\nHi Alice", `[status "resolved" resolution "Root cause: toner.\nFix: new cartridge."]`, "Hi Alice"},
		{"a resolution block may start on the next line", "#resolution\nThe fix.\n#priority P2\n\nHi", `[resolution "The fix.\n#priority P2"]`, "Hi"},
		{"a resolution block at the end", "#status resolved\n#resolution\nThe fix.", `[status "resolved" resolution "The fix."]`, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cmds, rest := parseCommands(tc.text)
			var got []string
			for _, c := range cmds {
				arg := c.arg
				if c.name == "resolution" {
					arg = c.note
				}
				got = append(got, c.name, fmt.Sprintf("%q", arg))
			}
			if fmt.Sprint(got) != tc.cmds || rest != tc.rest {
				t.Errorf("parseCommands(%q) = %v, %q; want %s, %q", tc.text, got, rest, tc.cmds, tc.rest)
			}
		})
	}
}
