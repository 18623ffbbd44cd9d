package main

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
	"strings"
	"text/tabwriter"
	"time"

	"helpdesk/desk"
	"helpdesk/tickets"
)

const kbUsage = `usage: helpdesk kb COMMAND

  list [--status draft|published|retired] [--json]
  show SLUG [--json]              the article, its status and the tickets it came from
  add --from-ticket ID            draft an article from a ticket's subject and resolution note
  add --file FILE                 add an article written as a Markdown file with front matter
  edit SLUG [--file FILE]         change an article in $EDITOR, or to FILE's content
  publish SLUG                    suggest and serve it
  retire SLUG                     no longer suggest or serve it
`

// cmdKB runs the knowledge-base commands.
func (e *env) cmdKB(args []string) error {
	if len(args) == 0 {
		return usageError{kbUsage}
	}
	switch args[0] {
	case "list":
		return e.cmdKBList(args[1:])
	case "show":
		return e.cmdKBShow(args[1:])
	case "add":
		return e.cmdKBAdd(args[1:])
	case "edit":
		return e.cmdKBEdit(args[1:])
	case "publish", "retire":
		return e.cmdKBStatus(args[0], args[1:])
	}
	return usageError{fmt.Sprintf("unknown kb command %q\n%s", args[0], kbUsage)}
}

// articleView is an article in --json output.
type articleView struct {
	ID          int64      `json:"id"`
	Slug        string     `json:"slug"`
	Title       string     `json:"title"`
	Status      string     `json:"status"`
	Language    string     `json:"language"`
	Queue       string     `json:"queue"`
	Tags        []string   `json:"tags"`
	Tickets     []string   `json:"tickets"`
	URL         string     `json:"url,omitempty"`
	Body        string     `json:"body,omitempty"`
	CreatedAt   time.Time  `json:"created_at"`
	UpdatedAt   time.Time  `json:"updated_at"`
	PublishedAt *time.Time `json:"published_at,omitempty"`
}

func newArticleView(d *desk.Desk, a *tickets.Article) articleView {
	v := articleView{ID: a.ID, Slug: a.Slug, Title: a.Title, Status: string(a.Status), Language: a.Language, Queue: a.Queue,
		Tags: a.Tags, Tickets: []string{}, Body: a.Body, CreatedAt: a.CreatedAt, UpdatedAt: a.UpdatedAt}
	if v.Tags == nil {
		v.Tags = []string{}
	}
	for _, id := range a.Tickets {
		v.Tickets = append(v.Tickets, d.Service.Ref(id))
	}
	if a.Status == tickets.ArticlePublished {
		v.URL = d.Service.ArticleURL(a.Slug)
	}
	if !a.PublishedAt.IsZero() {
		p := a.PublishedAt
		v.PublishedAt = &p
	}
	return v
}

func (e *env) cmdKBList(args []string) error {
	fs, c := e.flags("kb list", true)
	status := fs.String("status", "", "only the articles in this `status`: draft, published or retired")
	if err := parse(fs, args); err != nil {
		return err
	}
	if fs.NArg() != 0 {
		return usageError{"kb list takes no arguments"}
	}
	d, err := e.open(c, true)
	if err != nil {
		return err
	}
	defer d.Close()
	list, err := d.Store.ListArticles(e.ctx, tickets.ArticleFilter{Status: tickets.ArticleStatus(*status)})
	if err != nil {
		return err
	}
	if c.json {
		out := []articleView{}
		for i := range list {
			a, err := d.Store.Article(e.ctx, list[i].ID) // with its tickets
			if err != nil {
				return err
			}
			v := newArticleView(d, a)
			v.Body = ""
			out = append(out, v)
		}
		return e.printJSON(out)
	}
	w := tabwriter.NewWriter(e.stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(w, "SLUG\tSTATUS\tLANGUAGE\tQUEUE\tTITLE")
	for _, a := range list {
		fmt.Fprintf(w, "%s\t%s\t%s\t%s\t%s\n", a.Slug, a.Status, orDash(a.Language), orDash(a.Queue), termLine(a.Title))
	}
	return w.Flush()
}

func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

func (e *env) cmdKBShow(args []string) error {
	fs, c := e.flags("kb show", true)
	if err := parse(fs, args); err != nil {
		return err
	}
	ref, err := oneArg(fs, "an article: kb show SLUG")
	if err != nil {
		return err
	}
	d, err := e.open(c, true)
	if err != nil {
		return err
	}
	defer d.Close()
	a, err := d.Service.ArticleByRef(e.ctx, ref)
	if err != nil {
		return err
	}
	v := newArticleView(d, a)
	if c.json {
		return e.printJSON(v)
	}
	fmt.Fprintf(e.stdout, "%s\n", termLine(a.Title))
	fmt.Fprintf(e.stdout, "slug:      %s\n", a.Slug)
	status := string(a.Status)
	if a.Status == tickets.ArticlePublished {
		status += " " + a.PublishedAt.Format("2006-01-02 15:04 MST")
	}
	fmt.Fprintf(e.stdout, "status:    %s\n", status)
	fmt.Fprintf(e.stdout, "language:  %s\n", orDash(a.Language))
	fmt.Fprintf(e.stdout, "queue:     %s\n", orDash(a.Queue))
	fmt.Fprintf(e.stdout, "tags:      %s\n", orDash(termLine(strings.Join(a.Tags, " "))))
	fmt.Fprintf(e.stdout, "tickets:   %s\n", orDash(strings.Join(v.Tickets, ", ")))
	if v.URL != "" {
		fmt.Fprintf(e.stdout, "link:      %s\n", v.URL)
	}
	fmt.Fprintf(e.stdout, "\n%s", termText(a.Body))
	return nil
}

func (e *env) cmdKBAdd(args []string) error {
	fs, c := e.flags("kb add", true)
	from := fs.String("from-ticket", "", "draft the article from this `ticket`'s subject and resolution note")
	file := fs.String("file", "", "the article as a Markdown `file` with front matter (see kb edit)")
	if err := parse(fs, args); err != nil {
		return err
	}
	if fs.NArg() != 0 || (*from == "") == (*file == "") {
		return usageError{"kb add takes --from-ticket ID or --file FILE"}
	}
	var a *tickets.Article
	if *file != "" {
		src, err := os.ReadFile(*file)
		if err != nil {
			return err
		}
		if a, err = tickets.ParseArticleFile(string(src)); err != nil {
			return fmt.Errorf("%s: %w", *file, err)
		}
	}
	d, err := e.open(c, true)
	if err != nil {
		return err
	}
	defer d.Close()
	if *from != "" {
		id, err := ticketID(*from)
		if err != nil {
			return err
		}
		if a, err = d.Service.DraftArticle(e.ctx, id, "admin (command line)"); err != nil {
			return err
		}
	} else if err := d.Service.AddArticle(e.ctx, a); err != nil {
		return err
	}
	if c.json {
		return e.printJSON(newArticleView(d, a))
	}
	fmt.Fprintf(e.stdout, "article %s drafted: edit it with \"helpdesk kb edit %s\", then publish it\n", a.Slug, a.Slug)
	return nil
}

func (e *env) cmdKBEdit(args []string) error {
	fs, c := e.flags("kb edit", false)
	file := fs.String("file", "", "take the article from this Markdown `file` (front matter, then the text) instead of $EDITOR")
	if err := parse(fs, args); err != nil {
		return err
	}
	ref, err := oneArg(fs, "an article: kb edit SLUG")
	if err != nil {
		return err
	}
	d, err := e.open(c, true)
	if err != nil {
		return err
	}
	defer d.Close()
	old, err := d.Service.ArticleByRef(e.ctx, ref)
	if err != nil {
		return err
	}
	var src []byte
	name := *file
	if name != "" {
		if src, err = os.ReadFile(name); err != nil {
			return err
		}
	} else {
		if name, src, err = e.editArticle(old); err != nil {
			return err
		}
	}
	a, err := tickets.ParseArticleFile(string(src))
	if err != nil {
		return fmt.Errorf("%s: %w (nothing changed)", name, err)
	}
	a.ID = old.ID
	if a.Slug == "" {
		a.Slug = old.Slug
	}
	if err := d.Service.SaveArticle(e.ctx, a); err != nil {
		return fmt.Errorf("%w (your text is in %s)", err, name)
	}
	if *file == "" {
		os.Remove(name)
	}
	fmt.Fprintf(e.stdout, "article %s saved (%s)\n", a.Slug, a.Status)
	return nil
}

// editArticle opens a in $EDITOR (vi when unset) and returns the file it
// is in, which is kept when the edit cannot be saved, and its content.
func (e *env) editArticle(a *tickets.Article) (string, []byte, error) {
	editor := strings.Fields(os.Getenv("EDITOR"))
	if len(editor) == 0 {
		editor = []string{"vi"}
	}
	f, err := os.CreateTemp("", "helpdesk-kb-"+a.Slug+"-*.md")
	if err != nil {
		return "", nil, err
	}
	name := f.Name()
	_, err = f.WriteString(tickets.ArticleFile(a))
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return "", nil, err
	}
	cmd := exec.CommandContext(e.ctx, editor[0], append(editor[1:], name)...)
	cmd.Stdin, cmd.Stdout, cmd.Stderr = os.Stdin, e.stdout, e.stderr
	if err := cmd.Run(); err != nil {
		return "", nil, fmt.Errorf("running the editor %s: %w (nothing changed; the text is in %s)", editor[0], err, name)
	}
	src, err := os.ReadFile(name)
	if err == nil && string(src) == tickets.ArticleFile(a) {
		os.Remove(name)
		return "", nil, errors.New("the article was not changed")
	}
	return name, src, err
}

func (e *env) cmdKBStatus(name string, args []string) error {
	fs, c := e.flags("kb "+name, true)
	if err := parse(fs, args); err != nil {
		return err
	}
	ref, err := oneArg(fs, "an article: kb "+name+" SLUG")
	if err != nil {
		return err
	}
	d, err := e.open(c, true)
	if err != nil {
		return err
	}
	defer d.Close()
	st := tickets.ArticlePublished
	if name == "retire" {
		st = tickets.ArticleRetired
	}
	a, err := d.Service.SetArticleStatus(e.ctx, ref, st)
	if err != nil {
		return err
	}
	if c.json {
		return e.printJSON(newArticleView(d, a))
	}
	if url := d.Service.ArticleURL(a.Slug); url != "" && st == tickets.ArticlePublished {
		fmt.Fprintf(e.stdout, "article %s is published: %s\n", a.Slug, url)
		return nil
	}
	fmt.Fprintf(e.stdout, "article %s is %s\n", a.Slug, a.Status)
	return nil
}
