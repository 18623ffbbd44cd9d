package config

import (
	"fmt"
	"regexp"
	"slices"
	"strings"
)

// languageRE is a language code as the templates' folders name it: "de",
// "pt-br" (ISO 639-1, optionally a region), lowercase.
var languageRE = regexp.MustCompile(`^[a-z]{2,3}(-[a-z0-9]{2,8})?$`)

// shippedLanguages are the languages of the embedded templates.
var shippedLanguages = []string{"de", "en", "es", "fr"}

// Language is the default language of the desk's mail: [templates]
// default_language, "en" when unset.
func (t Templates) Language() string {
	if t.DefaultLanguage == "" {
		return "en"
	}
	return t.DefaultLanguage
}

// KnownLanguages are the languages the desk writes in: the shipped ones,
// [templates] languages and the default language, sorted.
func (c *Config) KnownLanguages() []string {
	out := slices.Clone(shippedLanguages)
	for _, l := range append(slices.Clone(c.Templates.Languages), c.Templates.Language()) {
		if !slices.Contains(out, l) {
			out = append(out, l)
		}
	}
	slices.Sort(out)
	return out
}

// QueueNames are the queues a rule, an agent or a command may name.
func (c *Config) QueueNames() []string { return c.knownQueues() }

func (c *Config) validateLanguages(ps *problems) {
	t := c.Templates
	if t.DefaultLanguage != "" && !languageRE.MatchString(t.DefaultLanguage) {
		ps.add("templates.default_language", "%q must be a language code such as en, de or pt-br", t.DefaultLanguage)
	}
	for i, l := range t.Languages {
		if !languageRE.MatchString(l) {
			ps.add(fmt.Sprintf("templates.languages[%d]", i), "%q must be a language code such as it or pt-br", l)
		} else if slices.Contains(c.knownQueues(), l) {
			ps.add(fmt.Sprintf("templates.languages[%d]", i), "%q is also a queue: its folder in templates.dir would be ambiguous", l)
		}
	}
	known := c.KnownLanguages()
	for i, a := range c.Agents {
		if a.Language != "" && !slices.Contains(known, a.Language) {
			ps.add(fmt.Sprintf("agent[%d].language", i), "%q is not a language of the templates (%s)", a.Language, strings.Join(known, ", "))
		}
	}
	for i, r := range c.Rules {
		if l := r.Then.Language; l != "" && languageRE.MatchString(l) && !slices.Contains(known, l) {
			ps.add(fmt.Sprintf("rule[%d].then.language", i), "%q is not a language of the templates (%s; add it to templates.languages)", l, strings.Join(known, ", "))
		}
	}
}
