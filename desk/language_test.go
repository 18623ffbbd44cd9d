package desk_test

import (
	"bytes"
	"context"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/emersion/go-message/mail"

	"helpdesk/config"
	"helpdesk/desk"
	"helpdesk/templates"
	"helpdesk/tickets"
)

// withHeader puts header lines after the first line of a raw mail.
func withHeader(raw, header string) string {
	first, rest, _ := strings.Cut(raw, "\r\n")
	return first + "\r\n" + header + "\r\n" + rest
}

func TestTheCustomersLanguageChoosesTheTranslation(t *testing.T) {
	onEachDatabase(t, testTheCustomersLanguageChoosesTheTranslation)
}

func testTheCustomersLanguageChoosesTheTranslation(t *testing.T) {
	h := agentHarness(t, `
[[rule]]
name = "french invoices"
  [[rule.when]]
  field = "subject"
  op = "contains"
  value = "facture"
  [rule.then]
  language = "fr"
`)
	for _, tc := range []struct {
		name, mail, lang, ack string
	}{
		{"content-language header", withHeader(customer("l1@a.test", "Alice <alice1@a.test>", "Drucker", "Hi, the printer is broken."), "Content-Language: de-DE"),
			"de", "Ihre Anfrage ist bei uns eingegangen"},
		{"accept-language header by quality", withHeader(customer("l2@a.test", "Alice <alice2@a.test>", "Printer", "Hi"), "Accept-Language: it;q=0.9, es-ES, en;q=0.5"),
			"es", "Hemos recibido su solicitud"},
		{"german text", customer("l3@a.test", "Alice <alice3@a.test>", "Drucker defekt", "Guten Tag, seit heute früh druckt der Drucker im zweiten Stock nicht mehr. Können Sie bitte nachsehen? Danke!"),
			"de", "Ihre Anfrage ist bei uns eingegangen"},
		{"a rule wins over the text", customer("l4@a.test", "Alice <alice4@a.test>", "Meine facture", "Guten Tag, ich habe eine Frage zu meiner Rechnung, die nicht stimmt. Können Sie bitte nachsehen?"),
			"fr", "Nous avons bien reçu votre demande"},
		{"too short to tell", customer("l5@a.test", "Alice <alice5@a.test>", "Hola", "Hola"),
			"en", "We have received your request"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			mark := h.mark()
			out := h.deliver("support", tc.mail)
			h.flush()
			if got := h.ticket(out.TicketID).Language; got != tc.lang {
				t.Errorf("ticket language %q, want %q", got, tc.lang)
			}
			from := h.ticket(out.TicketID).Requester.Email
			if ack := h.oneMailTo(from, mark); !strings.Contains(ack.subject, tc.ack) {
				t.Errorf("acknowledgement %q, want %q in it", ack.subject, tc.ack)
			}
		})
	}
}

func TestLangCommandSetsTheLanguageOfTheCustomersNextMail(t *testing.T) {
	h := agentHarness(t, "")
	out, notice, ack := assigned(h)
	if !strings.Contains(ack.subject, "We have received your request") {
		t.Fatalf("acknowledgement %q is not English", ack.subject)
	}
	mark := h.mark()
	answer(h, notice, "#lang klingon\n\nHello")
	h.flush()
	if errMail := h.oneMailTo("ann@example.com", mark); !strings.Contains(errMail.text, `unknown language "klingon" (use de, en, es, fr)`) {
		t.Errorf("Ann's command error:\n%s", errMail.text)
	}
	if len(h.mailTo("alice@a.test", mark)) != 0 || h.ticket(out.TicketID).Language != "en" {
		t.Fatalf("a wrong #lang changed the ticket or reached the customer")
	}
	mark = h.mark()
	answer(h, notice, "#lang DE\n#status resolved Der Toner war leer.\n\nWir haben den Toner getauscht.")
	h.flush()
	if got := h.ticket(out.TicketID).Language; got != "de" {
		t.Errorf("language %q after #lang DE", got)
	}
	mails := h.mailTo("alice@a.test", mark)
	if len(mails) != 2 || !strings.Contains(mails[1].subject, "Gelöst: Printer on fire") || !strings.Contains(mails[1].text, "Guten Tag Alice,") {
		t.Errorf("after #lang de Alice got %+v", mails)
	}
	if !hasEventLike(h.events(out.TicketID), "language", "language en -> de (#lang)") {
		t.Errorf("no language event: %+v", h.events(out.TicketID))
	}
}

func TestAMacroInAnAgentsReplyReachesTheCustomerRendered(t *testing.T) {
	onEachDatabase(t, testAMacroInAnAgentsReplyReachesTheCustomerRendered)
}

func testAMacroInAnAgentsReplyReachesTheCustomerRendered(t *testing.T) {
	dir := t.TempDir()
	writeTemplate(t, dir, "macros/toner.txt", "To change the toner, {{firstname .Customer.Name}}, open the front cover.\nTicket {{.Ticket.Ref}} stays open until it prints again.\n")
	writeTemplate(t, dir, "macros/de/toner.txt", "So wechseln Sie den Toner: Öffnen Sie die vordere Abdeckung.\n")
	h := agentHarness(t, fmt.Sprintf("\n[templates]\ndir = %q\n", dir))
	out, notice, _ := assigned(h)
	mark := h.mark()
	answer(h, notice, "Hi Alice,\n\n#macro toner\n\nAnn")
	h.flush()
	got := h.oneMailTo("alice@a.test", mark)
	want := "Hi Alice,\n\nTo change the toner, Alice, open the front cover.\nTicket " + out.Ref + " stays open until it prints again.\n\nAnn\n\n--\n"
	if !strings.HasPrefix(got.text, want) || strings.Contains(got.text, "#macro") {
		t.Errorf("Alice got:\n%s\nwant it to start with:\n%s", got.text, want)
	}

	mark = h.mark()
	before := h.ticket(out.TicketID)
	answer(h, notice, "#status resolved\n\n#macro tonner\n\nAnn")
	h.flush()
	if len(h.mailTo("alice@a.test", mark)) != 0 || h.ticket(out.TicketID).Status != before.Status {
		t.Errorf("a reply with an unknown macro reached the customer or changed the ticket")
	}
	if e := h.oneMailTo("ann@example.com", mark); !strings.Contains(e.subject, "Your reply was not taken") || !strings.Contains(e.text, `line 3 "#macro tonner": no macro "tonner"`) {
		t.Errorf("Ann's command error %q:\n%s", e.subject, e.text)
	}

	mark = h.mark()
	answer(h, notice, "#lang de\n#macro toner")
	h.flush()
	if got := h.oneMailTo("alice@a.test", mark); !strings.HasPrefix(got.text, "So wechseln Sie den Toner") {
		t.Errorf("after #lang de the macro reads:\n%s", got.text)
	}
}

func writeTemplate(t *testing.T, dir, name, content string) {
	t.Helper()
	p := filepath.Join(dir, name)
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		t.Fatal(err)
	}
	// Write to a new file and rename it over the old one, as editors do.
	tmp := p + ".new~"
	if err := os.WriteFile(tmp, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Rename(tmp, p); err != nil {
		t.Fatal(err)
	}
}

// recorder is a log handler that hands each record's message and
// attributes to a channel.
type recorder struct{ ch chan string }

func (r recorder) Enabled(context.Context, slog.Level) bool { return true }
func (r recorder) Handle(_ context.Context, rec slog.Record) error {
	var b strings.Builder
	b.WriteString(rec.Message)
	rec.Attrs(func(a slog.Attr) bool { fmt.Fprintf(&b, " %s=%v", a.Key, a.Value); return true })
	select {
	case r.ch <- b.String():
	default:
	}
	return nil
}
func (r recorder) WithAttrs([]slog.Attr) slog.Handler { return r }
func (r recorder) WithGroup(string) slog.Handler      { return r }

// waitLog waits for a log line that starts with prefix.
func waitLog(t *testing.T, ch chan string, prefix string) string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	for {
		select {
		case l := <-ch:
			if strings.HasPrefix(l, prefix) {
				return l
			}
		case <-ctx.Done():
			t.Fatalf("no log line %q", prefix)
		}
	}
}

func TestAnEditedTemplateTakesEffectUnderARunningDaemon(t *testing.T) {
	dir := t.TempDir()
	ack := filepath.Join(dir, "acknowledgement.txt")
	writeTemplate(t, dir, "acknowledgement.txt", "Version one of {{.Ticket.Ref}}.\n")
	dm := newDaemon(t, fmt.Sprintf("\n[templates]\ndir = %q\n", dir))
	logs := make(chan string, 1000)
	dm.startInProcess(desk.RunOptions{TemplatesInterval: 20 * time.Millisecond}, slog.New(recorder{logs}))
	h := &harness{t: t, sink: dm.sink}
	ackText := func(n int, id string) string {
		t.Helper()
		dm.put("support", customer(id, "Alice <alice@a.test>", "Printer "+id, "It is on fire."))
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		if _, err := dm.sink.WaitFor(ctx, n); err != nil {
			t.Fatalf("acknowledgement %d: %v", n, err)
		}
		return h.mailTo("alice@a.test", n-1)[0].text
	}
	if got := ackText(1, "h1@a.test"); !strings.HasPrefix(got, "Version one of ") {
		t.Fatalf("first acknowledgement:\n%s", got)
	}

	writeTemplate(t, dir, "acknowledgement.txt", "Version two of {{.Ticket.Ref}}.\n")
	waitLog(t, logs, "templates reloaded")
	if got := ackText(2, "h2@a.test"); !strings.HasPrefix(got, "Version two of ") {
		t.Fatalf("after the edit:\n%s", got)
	}

	writeTemplate(t, dir, "acknowledgement.txt", "Version three of {{.Ticket.Reff}}.\n")
	line := waitLog(t, logs, "template problem")
	if !strings.Contains(line, "file="+ack) || !strings.Contains(line, "line=1") || !strings.Contains(line, "can't evaluate field Reff") {
		t.Errorf("the broken edit is logged as %q", line)
	}
	if got := ackText(3, "h3@a.test"); !strings.HasPrefix(got, "Version two of ") {
		t.Fatalf("after a broken edit the daemon sends:\n%s", got)
	}
	if err := templates.Check(dir); err == nil {
		t.Error("templates.Check passes the broken folder")
	}
}

// A customer's name and subject cannot add a header, a recipient or
// markup to the desk's mail.
func TestACustomersNameAndSubjectCannotInjectHeadersOrMarkup(t *testing.T) {
	h := newHarness(t)
	raw := "From: =?utf-8?q?Eve=0D=0ABcc:_evil@x.test_<script>alert(1)</script>?= <eve@a.test>\r\n" +
		"To: support@example.com\r\n" +
		"Subject: =?utf-8?q?Help=0D=0ABcc:_evil@x.test=0D=0A=0D=0A<script>steal()</script>?=\r\n" +
		"Message-ID: <inject@a.test>\r\nContent-Type: text/plain; charset=utf-8\r\n\r\nHello <b>there</b>\r\n"
	h.deliver("support", raw)
	h.flush()
	mails := h.sink.Mails()
	if len(mails) != 1 || len(mails[0].To) != 1 || mails[0].To[0] != "eve@a.test" {
		t.Fatalf("the SMTP server got %d mails to %v, want one to eve@a.test", len(mails), mails[0].To)
	}
	data := mails[0].Data
	head, _, _ := bytes.Cut(data, []byte("\r\n\r\n"))
	for _, l := range strings.Split(string(head), "\r\n") {
		if strings.HasPrefix(strings.ToLower(l), "bcc:") || strings.HasPrefix(l, "<script>") {
			t.Errorf("an injected header line: %q", l)
		}
	}
	mr, err := mail.CreateReader(bytes.NewReader(data))
	if err != nil {
		t.Fatal(err)
	}
	subject, _ := mr.Header.Subject()
	if strings.ContainsAny(subject, "\r\n") || !strings.Contains(subject, "Help Bcc: evil@x.test <script>steal()</script>") {
		t.Errorf("subject %q", subject)
	}
	for {
		p, err := mr.NextPart()
		if err != nil {
			break
		}
		b := new(bytes.Buffer)
		b.ReadFrom(p.Body)
		if ct, _, _ := p.Header.(*mail.InlineHeader).ContentType(); ct == "text/html" {
			if strings.Contains(b.String(), "<script>") || !strings.Contains(b.String(), "&lt;script&gt;") {
				t.Errorf("the HTML part carries live markup:\n%s", b)
			}
		}
	}
}

func TestAnAgentGetsMailInTheAgentsLanguageAndTheCustomerInTheTickets(t *testing.T) {
	h := newHarness(t)
	h.desk.Close()
	staff := strings.Replace(staffTOML, `skills = ["billing", "de"]`, `skills = ["billing", "de"]`+"\nlanguage = \"de\"", 1)
	cfg, err := config.Parse([]byte(baseTOML(testDSN(t), h.sink.Port())+"\n[[mailbox]]\nname = \"sales\"\naddress = \"sales@example.com\"\nqueue = \"sales\"\n"+staff), "agents.toml")
	if err != nil {
		t.Fatal(err)
	}
	h.open(cfg)
	first, notice, ack := assigned(h)
	if !strings.Contains(notice.subject, "Ihnen zugewiesen: Printer on fire") || !strings.Contains(notice.text, "Guten Tag Ann Agent,") {
		t.Errorf("Ann's notice is not in German: %q\n%s", notice.subject, notice.text)
	}
	if !strings.Contains(ack.subject, "We have received your request") {
		t.Errorf("the customer's acknowledgement follows the agent's language: %q", ack.subject)
	}
	if !strings.HasPrefix(notice.text, "-- Bitte oberhalb dieser Zeile antworten --\n") {
		t.Errorf("Ann's notice does not start with the German reply marker:\n%s", notice.text)
	}
	// A wrong command is explained in German too, the lines quoted as
	// written; the ticket's event stays English.
	mark := h.mark()
	answer(h, notice, "#status fixed\n#escalate nowhere\n\nDone.")
	h.flush()
	cmdErr := h.oneMailTo("ann@example.com", mark)
	for _, want := range []string{`Zeile 1 "#status fixed": unbekannter Status "fixed"`, `Zeile 2 "#escalate nowhere": keine Warteschlange, kein Kontakt`} {
		if !strings.Contains(cmdErr.text, want) {
			t.Errorf("the German command error lacks %q:\n%s", want, cmdErr.text)
		}
	}
	if strings.Contains(cmdErr.text, "unknown status") {
		t.Errorf("the German command error has English in it:\n%s", cmdErr.text)
	}
	if !hasEventLike(h.events(first.TicketID), tickets.EventCommand, `line 1 "#status fixed": unknown status "fixed"`) {
		t.Errorf("the ticket's event does not say the problem in English: %+v", h.events(first.TicketID))
	}
	// Outlook keeps the notice below the answer, unquoted: the desk cuts
	// it at the German marker.
	for i, reply := range []func(string, delivered, string, string) string{outlookGermanReply, gmailReply} {
		mark := h.mark()
		h.deliver("support", reply("Ann Agent <ann@example.com>", notice, fmt.Sprintf("de-%d@example.com", i), "Guten Tag Alice,\n\nder Toner ist getauscht.\n\nAnn"))
		h.flush()
		got := h.oneMailTo("alice@a.test", mark)
		if !strings.HasPrefix(got.text, "Guten Tag Alice,\n\nder Toner ist getauscht.\n\nAnn\n\n--\n") || strings.Contains(got.text, "Bitte oberhalb") || strings.Contains(got.text, "Guten Tag Ann") {
			t.Errorf("reply %d: Alice got:\n%s", i, got.text)
		}
	}
}

func TestATicketAfterTheReopenWindowKeepsTheLanguageOfTheOneItFollows(t *testing.T) {
	h := agentHarness(t, "")
	out, notice, _ := assigned(h)
	answer(h, notice, "#lang es\n#status closed")
	h.flush()
	h.now = h.now.Add(15 * 24 * time.Hour)
	mark := h.mark()
	late := h.deliver("support", customerReply(h, out.Ref, "w1@a.test", "Hi, it is broken again, can you please have a look at it?"))
	h.flush()
	if !late.Created || h.ticket(late.TicketID).Language != "es" {
		t.Fatalf("the follow-up %+v has language %q, want es", late, h.ticket(late.TicketID).Language)
	}
	if ack := h.oneMailTo("alice@a.test", mark); !strings.Contains(ack.subject, "Nuevo ticket para su respuesta a "+out.Ref) {
		t.Errorf("the follow-up's acknowledgement: %q", ack.subject)
	}
}
