package main

import (
	"errors"
	"fmt"
	"os"
	"strings"
	"text/tabwriter"

	"github.com/pmezard/go-difflib/difflib"

	"helpdesk/config"
	"helpdesk/desk"
	"helpdesk/templates"
)

const templatesUsage = "expected: templates check | preview NAME | send-test NAME --to ADDRESS | diff NAME | vars"

func (e *env) cmdTemplates(args []string) error {
	if len(args) == 0 {
		return usageError{templatesUsage}
	}
	sub := args[0]
	fs, c := e.flags("templates "+sub, false)
	dir := fs.String("dir", "", "the templates `folder` (default: templates.dir of the config)")
	var ticket, lang, queue, to *string
	if sub == "preview" || sub == "send-test" {
		ticket = fs.String("ticket", "", "render for this stored `ticket` (1042 or HD#1042) instead of the sample data")
		queue = fs.String("queue", "", "render the variant of this `queue`")
		to = fs.String("to", "", "the recipient's `address`")
	}
	if sub == "preview" || sub == "send-test" || sub == "diff" {
		lang = fs.String("lang", "", "the translation in this `language` (de, fr, es, ...)")
	}
	if sub == "diff" {
		queue = fs.String("queue", "", "the files that serve this `queue`")
	}
	if err := parse(fs, args[1:]); err != nil {
		return err
	}
	if sub == "vars" {
		return e.templateVars()
	}
	cfg, opts, err := e.templateOptions(c.config, *dir, sub == "send-test" || ticket != nil && *ticket != "")
	if err != nil {
		return err
	}
	switch sub {
	case "check":
		set, err := templates.Open(opts)
		if err != nil {
			return err
		}
		where := "the embedded defaults"
		if opts.Dir != "" {
			where = opts.Dir + " over the embedded defaults"
		}
		fmt.Fprintf(e.stdout, "%d templates OK in %s (%s)", len(set.Names()), strings.Join(set.Languages(), ", "), where)
		if q := set.Queues(); len(q) > 0 {
			fmt.Fprintf(e.stdout, "; queue folders: %s", strings.Join(q, ", "))
		}
		if n := len(set.Macros()); n == 1 {
			fmt.Fprintln(e.stdout, "; 1 macro")
		} else {
			fmt.Fprintf(e.stdout, "; %d macros\n", n)
		}
		return nil
	case "preview", "send-test":
		name, err := oneArg(fs, "a template name: templates "+sub+" NAME")
		if err != nil {
			return err
		}
		if sub == "send-test" && *to == "" {
			return usageError{"send-test needs --to ADDRESS"}
		}
		return e.templatePreview(cfg, opts, name, *ticket, desk.PreviewOptions{Language: *lang, Queue: *queue, To: *to, Test: sub == "send-test"})
	case "diff":
		name, err := oneArg(fs, "a template name: templates diff NAME")
		if err != nil {
			return err
		}
		return e.templateDiff(opts, name, *lang, *queue)
	}
	return usageError{fmt.Sprintf("unknown templates command %q: %s", sub, templatesUsage)}
}

// templateOptions are the templates' options: the config's, with dir
// instead of its folder when given. Without dir the config must load;
// with it, only when needConfig (to send mail or read a ticket).
func (e *env) templateOptions(path, dir string, needConfig bool) (*config.Config, templates.Options, error) {
	if dir != "" && !needConfig {
		if cfg, err := e.loadConfig(path); err == nil {
			opts := desk.TemplateOptions(cfg)
			opts.Dir = dir
			return cfg, opts, nil
		}
		return config.Default(), templates.Options{Dir: dir}, nil
	}
	cfg, err := e.loadConfig(path)
	if err != nil {
		return nil, templates.Options{}, err
	}
	opts := desk.TemplateOptions(cfg)
	if dir != "" {
		opts.Dir = dir
	}
	return cfg, opts, nil
}

// templatePreview prints (or, for a test, sends) template name as the
// outbox would send it: the MIME text on stdout, where each part came
// from on stderr.
func (e *env) templatePreview(cfg *config.Config, opts templates.Options, name, ticket string, po desk.PreviewOptions) error {
	set, err := templates.Open(opts)
	if err != nil {
		return err
	}
	data := templates.SampleData()
	data.Language = ""
	if name, email := cfg.SMTP.FromAddress(); email != "" {
		data.Desk = templates.Desk{Name: name, Address: email}
	}
	var d *desk.Desk
	if ticket != "" || po.Test {
		if d, err = desk.Open(e.ctx, cfg, desk.Options{Logger: e.quietLogger(cfg)}); err != nil {
			return err
		}
		defer d.Close()
	}
	if ticket != "" {
		id, err := ticketID(ticket)
		if err != nil {
			return err
		}
		if data, err = d.TemplateData(e.ctx, id, name); err != nil {
			return err
		}
	}
	p, err := desk.PreviewMail(cfg, set, name, data, po)
	if err != nil {
		return err
	}
	if po.Test {
		if err := d.SendTest(e.ctx, p); err != nil {
			return fmt.Errorf("sending the test mail: %w", err)
		}
		fmt.Fprintf(e.stdout, "sent %s (%s) to %s: %s\n", name, p.Language, p.Mail.To[0].Email, p.Mail.Subject)
		return nil
	}
	if len(p.Mail.Attachments) == 0 {
		p.Mail.Boundary = "helpdesk-preview"
	}
	b, err := p.Mail.Bytes()
	if err != nil {
		return err
	}
	fmt.Fprintf(e.stderr, "%s, language %s, queue %q: subject from %s, text from %s, html from %s\n",
		name, p.Language, p.Queue, p.Source["subject"], p.Source["txt"], p.Source["html"])
	_, err = e.stdout.Write([]byte(strings.ReplaceAll(string(b), "\r\n", "\n")))
	return err
}

// templateDiff prints the admin's files that serve template name in lang
// (and queue) against the built-in ones, as a unified diff per part.
func (e *env) templateDiff(opts templates.Options, name, lang, queue string) error {
	set, err := templates.Open(opts)
	if err != nil {
		return err
	}
	if lang == "" {
		lang = set.DefaultLanguage()
	}
	src := set.SourceFor(name, lang, queue)
	if src == nil {
		return fmt.Errorf("no template %q (known: %s)", name, strings.Join(set.Names(), ", "))
	}
	overridden := 0
	for _, part := range []string{"subject", "txt", "html"} {
		path := src[part]
		if path == templates.Embedded || path == "" {
			continue
		}
		overridden++
		file := name + "." + part
		mine, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		builtin, ok := templates.EmbeddedSource(file, lang)
		from := "embedded/" + file
		if lang != templates.DefaultLanguage {
			from = "embedded/" + lang + "/" + file
		}
		if !ok {
			fmt.Fprintf(e.stdout, "%s: a template of your own (no built-in %s)\n", path, from)
			continue
		}
		diff, err := difflib.GetUnifiedDiffString(difflib.UnifiedDiff{
			A: difflib.SplitLines(builtin), B: difflib.SplitLines(string(mine)),
			FromFile: from, ToFile: path, Context: 3,
		})
		if err != nil {
			return err
		}
		if diff == "" {
			fmt.Fprintf(e.stdout, "%s: the same as %s\n", path, from)
			continue
		}
		fmt.Fprint(e.stdout, termText(diff))
	}
	if overridden == 0 {
		fmt.Fprintf(e.stdout, "%s (%s): no file of yours; every part is built in\n", name, lang)
	}
	return nil
}

// templateVars lists every field a template can read.
func (e *env) templateVars() error {
	tw := tabwriter.NewWriter(e.stdout, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "FIELD\tTYPE\tEXAMPLE")
	for _, v := range templates.Vars() {
		fmt.Fprintf(tw, "%s\t%s\t%s\n", v.Path, v.Type, oneLineOf(v.Example, 50))
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	fmt.Fprintln(e.stdout)
	for _, v := range templates.Vars() {
		fmt.Fprintf(e.stdout, "%s\n    %s\n", v.Path, v.Doc)
	}
	return nil
}

func (e *env) cmdMacros(args []string) error {
	if len(args) == 0 || args[0] != "list" {
		return usageError{"expected: macros list"}
	}
	fs, c := e.flags("macros list", false)
	dir := fs.String("dir", "", "the templates `folder` (default: templates.dir of the config)")
	if err := parse(fs, args[1:]); err != nil {
		return err
	}
	_, opts, err := e.templateOptions(c.config, *dir, false)
	if err != nil {
		return err
	}
	set, err := templates.Open(opts)
	if err != nil {
		return err
	}
	ms := set.Macros()
	if len(ms) == 0 {
		where := "no templates folder"
		if opts.Dir != "" {
			where = "none in " + opts.Dir + "/" + templates.MacrosFolder
		}
		return errors.New("no macros (" + where + ")")
	}
	tw := tabwriter.NewWriter(e.stdout, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "MACRO\tLANGUAGES\tTEXT")
	for _, m := range ms {
		fmt.Fprintf(tw, "%s\t%s\t%s\n", m.Name, strings.Join(m.Languages, ","), termLine(m.Preview))
	}
	return tw.Flush()
}

// oneLineOf is s on one line, at most n characters.
func oneLineOf(s string, n int) string {
	s = strings.Join(strings.Fields(s), " ")
	if r := []rune(s); len(r) > n {
		return string(r[:n-1]) + "…"
	}
	return s
}
