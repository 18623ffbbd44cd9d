package tickets

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// FuzzParseCommands checks the #command parser on any text: the commands
// are '#' and a letter, lowercased names, in line order within the text;
// what follows them starts with no command; and parsing that again finds
// none — no command can hide in the text relayed to the customer.
func FuzzParseCommands(f *testing.F) {
	for _, seed := range []string{
		"", "#status resolved\n#Priority p1\n\nHello Alice,\n#not a command here", "\n  #take  \n\n#tag +a -b\nThanks",
		"#note Called her.\nShe is fine.", "#1 problem: the printer", "#status resolved\n#resolution Root cause.\nFix.\n\nHi",
		"#resolution\nThe fix.\n#priority P2\n\nHi", "#note #status closed", "#note\n#status closed", "#\u00e9tat ferm\u00e9",
		"#merge HD#1042\r\n#assign ann@example.com\r\n\r\nx", "##\n#a", "\xff#status\n#\xfe", "#note  \n#take",
	} {
		f.Add(seed)
	}
	// Agents' replies: the reply texts of the shared corpus, when present.
	texts, _ := filepath.Glob(filepath.Join("..", "..", "shared", "corpus", "replies", "*.expected.txt"))
	if len(texts) == 0 {
		f.Log("no shared corpus of replies (../shared/corpus/replies): seeding from the cases above only")
	}
	for _, p := range texts {
		if raw, err := os.ReadFile(p); err == nil {
			f.Add("#status pending\n" + string(raw))
		}
	}
	f.Fuzz(func(t *testing.T, text string) {
		cmds, rest := parseCommands(text)
		lines := strings.Split(text, "\n")
		last := 0
		for _, c := range cmds {
			if !isCommandLine(c.raw) {
				t.Fatalf("command %q is not a command line", c.raw)
			}
			if c.line <= last || c.line > len(lines) || strings.TrimSpace(lines[c.line-1]) != c.raw {
				t.Fatalf("command %q says line %d of %d (after %d)", c.raw, c.line, len(lines), last)
			}
			last = c.line
			if c.name != strings.ToLower(c.name) {
				t.Fatalf("name %q is not lowercased", c.name)
			}
		}
		noted := false
		for _, c := range cmds {
			noted = noted || c.name == "note"
		}
		if again, _ := parseCommands(rest); len(again) > 0 && !noted {
			t.Fatalf("the text after the commands of %q starts with command %q", text, again[0].raw)
		}
	})
}
