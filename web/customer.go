package web

import (
	"bytes"
	"context"
	"errors"
	"html/template"
	"io"
	"log/slog"
	"mime"
	"net/http"
	"net/mail"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"helpdesk/tickets"
)

// The customer's web side. GET /new is a plain form that opens a ticket;
// POST /new hands it to the desk, which writes it as a mail and takes it
// through the same intake as mail, marked as the web's: the ticket stays
// unverified until the customer confirms the address. GET /t/{token} is a
// ticket's page, linked from every mail to its customer: its status and
// public messages, a form to reply and a button to close it (and, while
// it waits, one to confirm it). A token the desk did not sign shows
// nothing but a 403.
//
// Every form carries a signed token with the time its page was served
// (Forms), and is refused from another site (sameOrigin); the new ticket
// form has a honeypot field that people do not see: filled, the answer
// looks like a success and nothing is created.

// Customers is what the customer's pages need of the desk.
type Customers interface {
	// OpenTicket opens a ticket from the form: nothing is stored on an
	// error (a *tickets.RateLimitError over the limits).
	OpenTicket(ctx context.Context, nt NewTicket) error
	// TicketByPage is what a ticket page's token shows
	// (tickets.ErrTicketLinkInvalid for a token the desk did not make).
	TicketByPage(ctx context.Context, token string) (*tickets.CustomerView, error)
	// ReplyByPage stores text, with files, as the customer's reply on the
	// ticket of token.
	ReplyByPage(ctx context.Context, token, text, source string, files []Upload) error
	// ConfirmByPage confirms an unverified ticket; CloseByPage closes one.
	ConfirmByPage(ctx context.Context, token string) (*tickets.CustomerView, error)
	CloseByPage(ctx context.Context, token string) (*tickets.CustomerView, error)
}

// Forms signs and checks the forms' tokens (*tickets.Signer does).
type Forms interface {
	FormToken(purpose string, at time.Time) string
	CheckFormToken(purpose, token string, now time.Time, maxAge time.Duration) error
}

// NewTicket is what the form sends.
type NewTicket struct {
	Name, Email, Subject, Text string
	Files                      []Upload
	// Source is the client's IP, what the per-source limit counts.
	Source string
}

// Upload is a file attached on the form.
type Upload struct {
	Filename, ContentType string
	Data                  []byte
}

// CustomerOptions configure AddCustomerPages.
type CustomerOptions struct {
	// NewTicket serves the form at /new.
	NewTicket bool
	// MaxUpload bounds the form's request, files included (default 10 MiB).
	MaxUpload int64
	// Now is the clock (default time.Now).
	Now func() time.Time
}

// Limits of the forms.
const (
	formMaxAge      = 24 * time.Hour
	maxSubjectRunes = 200
	maxNameRunes    = 100
	maxTextRunes    = 20000
	maxFiles        = 10
)

// AddCustomerPages serves the customer's pages from c.
func (s *Server) AddCustomerPages(c Customers, f Forms, opts CustomerOptions) {
	if opts.MaxUpload <= 0 {
		opts.MaxUpload = 10 << 20
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	p := &customerPages{s: s, c: c, f: f, opts: opts}
	if opts.NewTicket {
		s.bodyLimits["POST /new"] = opts.MaxUpload
		s.Handle("GET /new", http.HandlerFunc(p.newForm))
		s.Handle("POST /new", http.HandlerFunc(p.newTicket))
		s.Handle("GET /new/sent", http.HandlerFunc(p.sent))
	}
	s.Handle("GET /t/{token}", http.HandlerFunc(p.ticket))
	s.bodyLimits["POST /t/{token}/reply"] = opts.MaxUpload
	s.Handle("POST /t/{token}/reply", http.HandlerFunc(p.reply))
	s.Handle("POST /t/{token}/confirm", http.HandlerFunc(p.confirm))
	s.Handle("POST /t/{token}/close", http.HandlerFunc(p.close))
}

type customerPages struct {
	s    *Server
	c    Customers
	f    Forms
	opts CustomerOptions
}

var customerTemplates = template.Must(template.New("customer").Funcs(template.FuncMap{
	// A date every language reads alike.
	"when": func(t time.Time) string { return t.UTC().Format("2006-01-02 15:04 UTC") },
}).Parse(`<!DOCTYPE html>
<html lang="{{.L.Tag}}">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="referrer" content="no-referrer">
<meta name="robots" content="noindex">
<title>{{.Title}}</title>
<style>{{.CSS}}</style>
</head>
<body>
<main>
<h1>{{.Title}}</h1>
{{- if .Problem}}
<p class="problem" role="alert" id="problem">{{.Problem}}</p>
{{- end}}
{{- if .Done}}
<p role="status" id="done"><strong>{{.Done}}</strong></p>
{{- end}}
{{- with .Form}}{{template "new" .}}{{end}}
{{- with .View}}{{template "ticket" .}}{{end}}
</main>
</body>
</html>
{{define "new" -}}
<p>{{.L.T "Tell us what you need; we answer by email. Fields marked * are required."}}</p>
<form method="post" action="{{.Base}}/new" enctype="multipart/form-data" accept-charset="utf-8">
<input type="hidden" name="ft" value="{{.Token}}">
<p><label for="name">{{.L.T "Your name"}}</label><br>
<input type="text" id="name" name="name" value="{{.Name}}" maxlength="100" autocomplete="name"></p>
<p><label for="email">{{.L.T "Your email address *"}}</label><br>
<input type="email" id="email" name="email" value="{{.Email}}" required autocomplete="email" aria-describedby="email-hint"><br>
<span id="email-hint" class="note">{{.L.T "We send a confirmation there: your request is taken once you confirm it."}}</span></p>
<div class="hp" aria-hidden="true"><label for="website">{{.L.T "Leave this field empty"}}</label>
<input type="text" id="website" name="website" value="" tabindex="-1" autocomplete="off"></div>
<p><label for="subject">{{.L.T "Subject *"}}</label><br>
<input type="text" id="subject" name="subject" value="{{.Subject}}" maxlength="200" required></p>
<p><label for="text">{{.L.T "Your message *"}}</label><br>
<textarea id="text" name="text" rows="10" required>{{.Text}}</textarea></p>
<p><label for="files">{{.L.T "Attachments (optional)"}}</label><br>
<input type="file" id="files" name="files" multiple aria-describedby="files-hint"><br>
<span id="files-hint" class="note">{{.L.T "Up to %d files, %s in all." .MaxFiles .MaxUpload}}</span></p>
<p><button type="submit">{{.L.T "Send my request"}}</button></p>
</form>
{{- end}}
{{define "ticket" -}}
<p>{{.L.T "Ticket"}} <strong id="ref">{{.Ref}}</strong>: &ldquo;<span id="subject">{{.Subject}}</span>&rdquo;</p>
<p>{{.L.T "Status"}}: <strong id="status">{{.StatusText}}</strong></p>
{{- if .Unverified}}
<form method="post" action="{{.Base}}/t/{{.Token}}/confirm">
<input type="hidden" name="ft" value="{{.FormToken}}">
<p>{{.L.T "We have not started on this request yet: please confirm that you sent it."}}</p>
<p><button type="submit" id="confirm">{{.L.T "Confirm my request"}}</button></p>
</form>
{{- end}}
<h2>{{.L.T "Conversation"}}</h2>
{{- range .Messages}}
<article class="msg{{if .FromDesk}} desk{{end}}">
<p class="note">{{if .FromDesk}}{{$.L.T "%s (our team)" .From}}{{else}}{{.From}}{{end}}, {{when .At}}</p>
<div class="text">{{.Text}}</div>
{{- if .Attachments}}
<p class="note">{{$.L.T "Attached:"}} {{range $i, $a := .Attachments}}{{if $i}}, {{end}}{{$a}}{{end}}</p>
{{- end}}
</article>
{{- else}}
<p>{{.L.T "No messages yet."}}</p>
{{- end}}
{{- if .Open}}
<h2>{{.L.T "Reply"}}</h2>
<form method="post" action="{{.Base}}/t/{{.Token}}/reply" enctype="multipart/form-data" accept-charset="utf-8">
<input type="hidden" name="ft" value="{{.FormToken}}">
<p><label for="reply">{{.L.T "Your reply"}}</label><br>
<textarea id="reply" name="text" rows="6" required></textarea></p>
<p><label for="files">{{.L.T "Attachments (optional)"}}</label><br>
<input type="file" id="files" name="files" multiple aria-describedby="files-hint"><br>
<span id="files-hint" class="note">{{.L.T "Up to %d files, %s in all." .MaxFiles .MaxUpload}}</span></p>
<p><button type="submit">{{.L.T "Send my reply"}}</button></p>
</form>
{{- if .Closable}}
<form method="post" action="{{.Base}}/t/{{.Token}}/close">
<input type="hidden" name="ft" value="{{.FormToken}}">
<p><button type="submit" id="close">{{.L.T "Close this ticket"}}</button> <span class="note">{{.L.T "if you need nothing more."}}</span></p>
</form>
{{- end}}
{{- end}}
{{- end}}
`))

type customerPage struct {
	L                    locale
	Title, Problem, Done string
	CSS                  template.CSS
	Form                 *newForm
	View                 *ticketView
}

type newForm struct {
	L                          locale
	Base, Token                string
	Name, Email, Subject, Text string
	MaxFiles                   int
	MaxUpload                  string
}

type ticketView struct {
	*tickets.CustomerView
	L                      locale
	MaxFiles               int
	MaxUpload              string
	Base, Token, FormToken string
	StatusText             string
	Unverified             bool
	Open, Closable         bool
}

func (p *customerPages) render(w http.ResponseWriter, status int, pg customerPage) {
	pg.CSS = template.CSS(pageCSS)
	var b bytes.Buffer
	if err := customerTemplates.Execute(&b, pg); err != nil {
		p.s.log.Error("rendering a page", "title", pg.Title, "err", err)
		http.Error(w, "internal error", http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.WriteHeader(status)
	w.Write(b.Bytes())
}

func (p *customerPages) form(l locale, nt NewTicket) *newForm {
	return &newForm{L: l, Base: p.s.base, Token: p.f.FormToken("new", p.opts.Now()), Name: nt.Name, Email: nt.Email,
		Subject: nt.Subject, Text: nt.Text, MaxFiles: maxFiles, MaxUpload: humanBytes(p.opts.MaxUpload)}
}

func (p *customerPages) newForm(w http.ResponseWriter, r *http.Request) {
	l := localeFor(r, "")
	p.render(w, http.StatusOK, customerPage{L: l, Title: l.T("Open a support request"), Form: p.form(l, NewTicket{})})
}

// newTicket takes the form: checks first, then one call that stores
// everything or nothing.
func (p *customerPages) newTicket(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	if !p.s.sameOrigin(r) {
		p.s.errorPage(w, r, http.StatusForbidden, "This form was sent from another site",
			"Nothing was sent. Please open our form and send your request from there.")
		return
	}
	if err := r.ParseMultipartForm(1 << 20); err != nil {
		var tooLarge *http.MaxBytesError
		if errors.As(err, &tooLarge) {
			p.s.errorPage(w, r, http.StatusRequestEntityTooLarge, "Your request is too large",
				"Nothing was sent. The form takes at most %s, attachments included: please leave out or shrink an attachment and try again.",
				humanBytes(p.opts.MaxUpload))
			return
		}
		p.s.errorPage(w, r, http.StatusBadRequest, "The form could not be read", "Nothing was sent. Please open the form again.")
		return
	}
	defer r.MultipartForm.RemoveAll()
	source := ClientIP(r)
	if p.f.CheckFormToken("new", r.PostFormValue("ft"), p.opts.Now(), formMaxAge) != nil {
		p.s.errorPage(w, r, http.StatusForbidden, "This form has expired",
			"Nothing was sent. Please open the form again and send your request from the new page.")
		return
	}
	if r.PostFormValue("website") != "" {
		// People never see the field; a robot fills every field it finds.
		p.s.log.WarnContext(ctx, "web form honeypot filled: nothing created", slog.String("source", source))
		http.Redirect(w, r, p.s.base+"/new/sent", http.StatusSeeOther)
		return
	}
	nt := NewTicket{
		Name:    cleanLine(r.PostFormValue("name")),
		Email:   strings.TrimSpace(r.PostFormValue("email")),
		Subject: cleanLine(r.PostFormValue("subject")),
		Text:    strings.TrimSpace(strings.ToValidUTF8(r.PostFormValue("text"), "")),
		Source:  source,
	}
	l := localeFor(r, "")
	problem := checkNewTicket(nt)
	var files []Upload
	if problem == nil {
		var err error
		if files, problem, err = uploads(r); err != nil {
			p.s.errorPage(w, r, http.StatusBadRequest, "The form could not be read", "Nothing was sent. Please open the form again.")
			return
		}
	}
	if problem != nil {
		p.render(w, http.StatusBadRequest, customerPage{L: l, Title: l.T("Open a support request"),
			Problem: l.T(problem.key, problem.args...), Form: p.form(l, nt)})
		return
	}
	nt.Files = files
	err := p.c.OpenTicket(ctx, nt)
	var limited *tickets.RateLimitError
	switch {
	case errors.As(err, &limited):
		p.s.log.WarnContext(ctx, "web form over its rate limit: nothing created", slog.String("source", source), slog.String("by", limited.By))
		w.Header().Set("Retry-After", strconv.Itoa(int(limited.Window.Seconds())))
		p.s.errorPage(w, r, http.StatusTooManyRequests, "Too many requests",
			"Nothing was sent: we have received many requests from this %s lately. Please try again later, or write to us by email.",
			l.T(limited.By))
	case err != nil:
		p.s.log.ErrorContext(ctx, "web form", slog.Any("err", err))
		p.s.errorPage(w, r, http.StatusInternalServerError, "Something went wrong on our side", "Nothing was sent. Please try again in a few minutes.")
	default:
		http.Redirect(w, r, p.s.base+"/new/sent", http.StatusSeeOther)
	}
}

// sent is the page after the form, for a request taken and for a robot
// alike.
func (p *customerPages) sent(w http.ResponseWriter, r *http.Request) {
	l := localeFor(r, "")
	p.s.render(w, http.StatusOK, page{L: l, Title: l.T("Check your email"),
		Text: l.T("Thank you. We have sent an email to the address you gave: please confirm your request with the link in it, or by replying to it. If it does not arrive within a few minutes, look in your spam folder.")})
}

// wrongInput is what is wrong with a form for the customer: a text of
// pageTexts and its values.
type wrongInput struct {
	key  string
	args []any
}

// uploads reads the files of a multipart form's "files" field. problem,
// when not nil, is what is wrong for the customer; err, a form that
// cannot be read.
func uploads(r *http.Request) (files []Upload, problem *wrongInput, err error) {
	if r.MultipartForm == nil {
		return nil, nil, nil
	}
	fhs := r.MultipartForm.File["files"]
	if len(fhs) > maxFiles {
		return nil, &wrongInput{"Please attach at most %d files.", []any{maxFiles}}, nil
	}
	for _, fh := range fhs {
		f, err := fh.Open()
		if err != nil {
			return nil, nil, err
		}
		data, err := io.ReadAll(f)
		f.Close()
		if err != nil {
			return nil, nil, err
		}
		if len(data) == 0 && fh.Filename == "" {
			continue // a file input left empty
		}
		files = append(files, Upload{Filename: fh.Filename, ContentType: fh.Header.Get("Content-Type"), Data: data})
	}
	return files, nil, nil
}

// checkNewTicket says what is wrong with the form's fields (nil if nothing).
func checkNewTicket(nt NewTicket) *wrongInput {
	a, err := mail.ParseAddress(nt.Email)
	switch {
	case nt.Email == "" || err != nil || a.Address != nt.Email || a.Name != "" || !strings.Contains(nt.Email, "."):
		return &wrongInput{key: "Please give an email address like name@example.com: we answer there."}
	case nt.Subject == "":
		return &wrongInput{key: "Please give your request a subject."}
	case utf8.RuneCountInString(nt.Subject) > maxSubjectRunes:
		return &wrongInput{"Please shorten the subject to %d characters.", []any{maxSubjectRunes}}
	case utf8.RuneCountInString(nt.Name) > maxNameRunes:
		return &wrongInput{"Please shorten your name to %d characters.", []any{maxNameRunes}}
	case nt.Text == "":
		return &wrongInput{key: "Please tell us what you need in the message."}
	case utf8.RuneCountInString(nt.Text) > maxTextRunes:
		return &wrongInput{"Please shorten your message to %d characters, or attach the rest as a file.", []any{maxTextRunes}}
	}
	return nil
}

// cleanLine makes a one-line field one line of valid text.
func cleanLine(s string) string {
	s = strings.ToValidUTF8(s, "")
	s = strings.Map(func(r rune) rune {
		if r < 0x20 || r == 0x7f {
			return ' '
		}
		return r
	}, s)
	return strings.Join(strings.Fields(s), " ")
}

// statusText says a status in the customer's words.
func statusText(st tickets.Status) string {
	switch st {
	case tickets.StatusUnverified:
		return "Waiting for your confirmation"
	case tickets.StatusNew, tickets.StatusOpen, tickets.StatusPendingVendor:
		// Waiting on a vendor is the desk's work still.
		return "Open: we are working on it"
	case tickets.StatusPending:
		return "Waiting for your answer"
	case tickets.StatusResolved:
		return "Resolved: reply if it is not"
	case tickets.StatusClosed:
		return "Closed"
	case tickets.StatusMerged:
		return "Continued in another ticket"
	}
	return "Closed"
}

var doneTexts = map[string]string{
	"replied":   "Thank you: your reply was added to the ticket.",
	"confirmed": "Thank you: your request is confirmed, and our team has it now.",
	"closed":    "The ticket is closed. If you need more help, reply to our last email.",
}

// view loads the page of token, or writes the 403 (or error) page and
// returns nil.
func (p *customerPages) view(w http.ResponseWriter, r *http.Request, v *tickets.CustomerView, err error) *ticketView {
	if errors.Is(err, tickets.ErrTicketLinkInvalid) {
		p.s.errorPage(w, r, http.StatusForbidden, "This link is not valid",
			"It may have been cut short or changed: please open it from our email exactly as it is.")
		return nil
	}
	if err != nil {
		p.s.log.ErrorContext(r.Context(), "ticket page", slog.Any("err", err))
		p.s.errorPage(w, r, http.StatusInternalServerError, "Something went wrong on our side", "Please try again in a few minutes.")
		return nil
	}
	token := r.PathValue("token")
	l := localeFor(r, v.Language)
	tv := &ticketView{CustomerView: v, L: l, MaxFiles: maxFiles, MaxUpload: humanBytes(p.opts.MaxUpload), Base: p.s.base, Token: token, FormToken: p.f.FormToken("t:"+token, p.opts.Now()),
		StatusText: l.T(statusText(v.Status)), Unverified: v.Status == tickets.StatusUnverified}
	tv.Open = !v.Status.Terminal()
	tv.Closable = tv.Open && v.Status != tickets.StatusClosed
	return tv
}

func (p *customerPages) ticket(w http.ResponseWriter, r *http.Request) {
	v, err := p.c.TicketByPage(r.Context(), r.PathValue("token"))
	tv := p.view(w, r, v, err)
	if tv == nil {
		return
	}
	done := doneTexts[r.URL.Query().Get("done")]
	if done != "" {
		done = tv.L.T(done)
	}
	p.render(w, http.StatusOK, customerPage{L: tv.L, Title: tv.L.T("Your request %s", v.Ref), Done: done, View: tv})
}

// post checks a form of a ticket's page: from this site, with a token of
// this page. false after writing the page that says why not.
func (p *customerPages) post(w http.ResponseWriter, r *http.Request) bool {
	if !p.s.sameOrigin(r) {
		p.s.errorPage(w, r, http.StatusForbidden, "This form was sent from another site",
			"Nothing changed. Please open the link from our email and use the page it opens.")
		return false
	}
	var err error
	if mt, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type")); mt == "multipart/form-data" {
		err = r.ParseMultipartForm(1 << 20)
	} else {
		err = r.ParseForm()
	}
	if err != nil {
		var tooLarge *http.MaxBytesError
		if errors.As(err, &tooLarge) {
			p.s.errorPage(w, r, http.StatusRequestEntityTooLarge, "Your reply is too large",
				"Nothing was sent. The page takes at most %s, attachments included: please leave out or shrink an attachment, or reply by email.",
				humanBytes(p.opts.MaxUpload))
			return false
		}
		p.s.errorPage(w, r, http.StatusBadRequest, "The form could not be read", "Nothing changed. Please open the link from our email again.")
		return false
	}
	token := r.PathValue("token")
	if p.f.CheckFormToken("t:"+token, r.PostForm.Get("ft"), p.opts.Now(), formMaxAge) != nil {
		// A forged page token has no valid form token either: 403 all the same.
		p.s.errorPage(w, r, http.StatusForbidden, "This form has expired", "Nothing changed. Please open the link from our email again.")
		return false
	}
	return true
}

func (p *customerPages) done(w http.ResponseWriter, r *http.Request, what string) {
	http.Redirect(w, r, p.s.base+"/t/"+r.PathValue("token")+"?done="+what, http.StatusSeeOther)
}

func (p *customerPages) reply(w http.ResponseWriter, r *http.Request) {
	if !p.post(w, r) {
		return
	}
	token := r.PathValue("token")
	v, err := p.c.TicketByPage(r.Context(), token)
	if p.view(w, r, v, err) == nil {
		return
	}
	if r.MultipartForm != nil {
		defer r.MultipartForm.RemoveAll()
	}
	text := strings.TrimSpace(strings.ToValidUTF8(r.PostForm.Get("text"), ""))
	files, problem, err := uploads(r)
	if err != nil {
		p.s.errorPage(w, r, http.StatusBadRequest, "The form could not be read", "Nothing changed. Please open the link from our email again.")
		return
	}
	if text == "" || utf8.RuneCountInString(text) > maxTextRunes {
		problem = &wrongInput{"Please write a reply of at most %d characters.", []any{maxTextRunes}}
	}
	if problem != nil {
		tv := p.view(w, r, v, nil)
		p.render(w, http.StatusBadRequest, customerPage{L: tv.L, Title: tv.L.T("Your request %s", v.Ref), View: tv,
			Problem: tv.L.T(problem.key, problem.args...)})
		return
	}
	if err := p.c.ReplyByPage(r.Context(), token, text, ClientIP(r), files); err != nil {
		p.view(w, r, nil, err)
		return
	}
	p.done(w, r, "replied")
}

func (p *customerPages) confirm(w http.ResponseWriter, r *http.Request) {
	if !p.post(w, r) {
		return
	}
	v, err := p.c.ConfirmByPage(r.Context(), r.PathValue("token"))
	if p.view(w, r, v, err) == nil {
		return
	}
	p.done(w, r, "confirmed")
}

func (p *customerPages) close(w http.ResponseWriter, r *http.Request) {
	if !p.post(w, r) {
		return
	}
	v, err := p.c.CloseByPage(r.Context(), r.PathValue("token"))
	if p.view(w, r, v, err) == nil {
		return
	}
	p.done(w, r, "closed")
}

// humanBytes writes a size the way people read it: "10 MB", "8 MiB".
func humanBytes(n int64) string {
	switch {
	case n >= 1<<20 && n%(1<<20) == 0:
		return strconv.FormatInt(n>>20, 10) + " MiB"
	case n >= 1e6:
		return strconv.FormatFloat(float64(n)/1e6, 'f', -1, 64) + " MB"
	case n >= 1<<10 && n%(1<<10) == 0:
		return strconv.FormatInt(n>>10, 10) + " KiB"
	case n >= 1e3:
		return strconv.FormatFloat(float64(n)/1e3, 'f', -1, 64) + " KB"
	}
	return strconv.FormatInt(n, 10) + " bytes"
}
