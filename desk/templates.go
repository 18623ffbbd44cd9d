package desk

import (
	"helpdesk/config"
	"helpdesk/templates"
)

// TemplateOptions are the options the templates load with under cfg: the
// folder, the default language, the extra languages and the queues.
func TemplateOptions(cfg *config.Config) templates.Options {
	return templates.Options{Dir: cfg.Templates.Dir, DefaultLanguage: cfg.Templates.Language(),
		Languages: cfg.Templates.Languages, Queues: cfg.QueueNames()}
}
