package templates

import (
	htmltemplate "html/template"
	"io/fs"
	"strings"
	"testing"
	texttemplate "text/template"
)

// The SLA mails' translations (default/<lang>/) parse and render with the
// sample data, in every part, and say the target in their own language.
func TestSLATranslationsRender(t *testing.T) {
	words := map[string]string{"de": "Erstantwort", "fr": "première réponse", "es": "primera respuesta"}
	for lang, word := range words {
		for _, name := range []string{"sla_warning", "sla_breach"} {
			var out [3]string
			for i, ext := range parts {
				src, err := fs.ReadFile(defaults, "default/"+lang+"/"+name+"."+ext)
				if err != nil {
					t.Fatal(err)
				}
				var b strings.Builder
				if ext == partHTML {
					tpl, err := htmltemplate.New(name).Funcs(funcs).Parse(string(src))
					if err == nil {
						err = tpl.Execute(&b, SampleData())
					}
					if err != nil {
						t.Fatalf("%s/%s.%s: %v", lang, name, ext, err)
					}
				} else {
					tpl, err := texttemplate.New(name).Funcs(funcs).Parse(string(src))
					if err == nil {
						err = tpl.Execute(&b, SampleData())
					}
					if err != nil {
						t.Fatalf("%s/%s.%s: %v", lang, name, ext, err)
					}
				}
				out[i] = b.String()
			}
			for i, s := range out {
				if !strings.Contains(s, word) || !strings.Contains(s, "HD#1042") {
					t.Errorf("%s/%s.%s lacks %q or the ticket ref:\n%s", lang, name, parts[i], word, s)
				}
			}
		}
	}
}
