package web

import (
	"bytes"
	"crypto/sha256"
	"encoding/base64"
	"html/template"
	"net/http"
)

// pageCSS is the one style sheet of every page, inline and allowed by its
// hash in the Content-Security-Policy.
const pageCSS = `body{font-family:system-ui,-apple-system,"Segoe UI",Roboto,Arial,sans-serif;font-size:1.05rem;line-height:1.5;color:#1a1a1a;background:#fff;margin:0;padding:1rem}
main{max-width:36rem;margin:0 auto}
h1{font-size:1.5rem;margin:.5rem 0 1rem}
fieldset{border:1px solid #767676;border-radius:4px;padding:.5rem 1rem 1rem;margin:0 0 1rem}
legend{font-weight:600;padding:0 .25rem}
.choice{margin:.35rem 0}
.choice input{width:1.2rem;height:1.2rem;vertical-align:middle;margin:0 .5rem 0 0}
label{cursor:pointer}
textarea{width:100%;box-sizing:border-box;font:inherit;padding:.4rem;border:1px solid #767676;border-radius:4px}
button{font:inherit;padding:.5rem 1.25rem;border:2px solid #0b4f9c;border-radius:4px;background:#0b4f9c;color:#fff;cursor:pointer}
button:focus,input:focus,textarea:focus,a:focus{outline:3px solid #f5a623;outline-offset:2px}
.problem{border-left:4px solid #b00020;padding:.25rem .75rem;color:#7a0016;background:#fdecee}
.note{color:#444}
a{color:#0b4f9c}
input[type=text],input[type=email]{width:100%;box-sizing:border-box;font:inherit;padding:.4rem;border:1px solid #767676;border-radius:4px}
.hp{position:absolute;left:-10000px;width:1px;height:1px;overflow:hidden}
.msg{border-left:4px solid #767676;padding:.25rem .75rem;margin:0 0 1rem}
.msg.desk{border-color:#0b4f9c}
.text{white-space:pre-wrap}`

// styleHash is pageCSS's CSP source expression.
var styleHash = func() string {
	sum := sha256.Sum256([]byte(pageCSS))
	return "sha256-" + base64.StdEncoding.EncodeToString(sum[:])
}()

var pages = template.Must(template.New("layout").Parse(`<!DOCTYPE html>
<html lang="{{.L.Tag}}">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="referrer" content="no-referrer">
<title>{{.Title}}</title>
<style>{{.CSS}}</style>
</head>
<body>
<main>
<h1>{{.Title}}</h1>
{{- if .Problem}}
<p class="problem" role="alert">{{.Problem}}</p>
{{- end}}
{{- if .Text}}
<p>{{.Text}}</p>
{{- end}}
{{- with .Survey}}{{template "survey" .}}{{end}}
{{- with .Thanks}}{{template "thanks" .}}{{end}}
</main>
</body>
</html>
{{define "survey" -}}
<p>{{.L.T "Ticket"}} {{.Ref}}: &ldquo;{{.Subject}}&rdquo;</p>
{{- if .Rated}}
<p class="note">{{.L.T "You rated this ticket %d of 5. Sending this form again replaces that rating." .Rated}}</p>
{{- end}}
<form method="post" accept-charset="utf-8">
<input type="hidden" name="token" value="{{.Token}}">
<fieldset>
<legend>{{.L.T "How did we do?"}}</legend>
{{- range .Choices}}
<div class="choice"><input type="radio" name="rating" id="rating-{{.Value}}" value="{{.Value}}"{{if .Checked}} checked{{end}} required><label for="rating-{{.Value}}">{{.Value}}: {{.Label}}</label></div>
{{- end}}
</fieldset>
<p><label for="comment">{{.L.T "Comment (optional)"}}</label><br>
<textarea id="comment" name="comment" rows="6" maxlength="{{.MaxComment}}" aria-describedby="comment-hint">{{.Comment}}</textarea><br>
<span id="comment-hint" class="note">{{.L.T "At most %d characters." .MaxComment}}</span></p>
<p><button type="submit">{{.L.T "Send my rating"}}</button></p>
</form>
{{- end}}
{{define "thanks" -}}
<p>{{.L.T "We recorded your rating of ticket %s (%s):" .Ref (print "“" .Subject "”")}} <strong id="rating">{{.L.T "%d of 5, %s" .Rating .Label}}</strong>.</p>
{{- if .Comment}}
<p>{{.L.T "Your comment:"}}</p>
<blockquote id="comment">{{.Comment}}</blockquote>
{{- end}}
<p class="note">{{.L.T "Changed your mind?"}} <a href="{{.Again}}">{{.L.T "Rate this ticket again"}}</a>{{.L.T "; a new rating replaces this one."}}</p>
{{- end}}
`))

// page is what the layout shows: a title, and a problem, a text, the
// survey's form or its thanks.
type page struct {
	L       locale
	Title   string
	Problem string
	Text    string
	Survey  *surveyForm
	Thanks  *thanksView
	CSS     template.CSS
}

type surveyForm struct {
	L            locale
	Ref, Subject string
	Rated        int // the rating given so far, 0 for none
	Token        string
	Choices      []choice
	Comment      string
	MaxComment   int
}

type choice struct {
	Value   int
	Label   string
	Checked bool
}

type thanksView struct {
	L            locale
	Ref, Subject string
	Rating       int
	Label        string
	Comment      string
	Again        string // the address of the survey's form
}

// ratingLabels name the ratings, as the survey mail does.
var ratingLabels = [6]string{"", "very poor", "poor", "fair", "good", "excellent"}

// render writes p with status. A page that fails to render is a 500
// without a body rather than half a page.
func (s *Server) render(w http.ResponseWriter, status int, p page) {
	p.CSS = template.CSS(pageCSS)
	var b bytes.Buffer
	if err := pages.Execute(&b, p); err != nil {
		s.log.Error("rendering a page", "title", p.Title, "err", err)
		http.Error(w, "internal error", http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.WriteHeader(status)
	w.Write(b.Bytes())
}

// errorPage writes a page that says what went wrong, in the language of
// r's browser: title, and text with args formatted into it, are English
// keys of pageTexts.
func (s *Server) errorPage(w http.ResponseWriter, r *http.Request, status int, title, text string, args ...any) {
	l := localeFor(r, "")
	s.render(w, status, page{L: l, Title: l.T(title), Text: l.T(text, args...)})
}
