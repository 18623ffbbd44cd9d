package tickets

import "testing"

func TestLanguageDetectionDecidesOnlyWhenTheTextIsClear(t *testing.T) {
	all := []string{"de", "en", "es", "fr"}
	for _, tc := range []struct{ text, want string }{
		{"Hello, since this morning I cannot log in to my account. Can you please help?", "en"},
		{"Guten Tag, seit heute Morgen kann ich mich nicht mehr anmelden. Können Sie mir bitte helfen?", "de"},
		{"Bonjour, depuis ce matin je ne peux plus me connecter à mon compte. Pouvez-vous m'aider ?", "fr"},
		{"Hola, desde esta mañana no puedo entrar en mi cuenta. ¿Me puede ayudar, por favor?", "es"},
		{"Hola", ""},  // too short
		{"Danke", ""}, // too short
		{"VPN router firewall switch port 443", ""}, // no language's words
		{"the und le el the und le el the und", ""}, // no clear winner
	} {
		if got := DetectLanguage(tc.text, all); got != tc.want {
			t.Errorf("DetectLanguage(%q) = %q, want %q", tc.text, got, tc.want)
		}
	}
	if got := DetectLanguage("Guten Tag, seit heute Morgen kann ich mich nicht mehr anmelden.", []string{"en", "fr"}); got != "" {
		t.Errorf("detection outside the desk's languages: %q", got)
	}
}

func TestLanguageHeadersPickTheFirstKnownLanguage(t *testing.T) {
	known := []string{"de", "en", "es", "fr", "pt-br"}
	for v, want := range map[string]string{
		"de-DE":                     "de",
		"it, fr-CH;q=0.9, en;q=0.8": "fr",
		"en;q=0.1, es;q=0.9":        "es",
		"pt-BR":                     "pt-br",
		"ja, zh":                    "",
		"*":                         "",
		"de;q=0, en":                "en",
		"  FR  ":                    "fr",
	} {
		if got := languageFromHeader(v, known); got != want {
			t.Errorf("languageFromHeader(%q) = %q, want %q", v, got, want)
		}
	}
}

func TestMacroLinesAreTextNotCommands(t *testing.T) {
	cmds, text := parseCommands("#status pending\n#macro toner\n\nAnn")
	if len(cmds) != 1 || cmds[0].name != "status" || text != "#macro toner\n\nAnn" {
		t.Errorf("parseCommands = %+v, %q", cmds, text)
	}
	for l, want := range map[string]string{"#macro toner": "toner", "  #MACRO  x ": "x", "#macro": ""} {
		if got, ok := macroName(l); !ok || got != want {
			t.Errorf("macroName(%q) = %q, %v", l, got, ok)
		}
	}
	if _, ok := macroName("#macros are great"); ok {
		t.Error("#macros is taken for #macro")
	}
}
