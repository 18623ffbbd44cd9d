package main

import (
	"bytes"
	"context"
	"encoding/json"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/emersion/go-imap/v2"
	"github.com/emersion/go-imap/v2/imapclient"
)

// syncBuffer is a bytes.Buffer safe for the demo's goroutines.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

func TestDemoAnswersItsCustomersOverEmbeddedServers(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var out, errs syncBuffer
	done := make(chan int)
	go func() {
		done <- run(ctx, []string{"demo", "--dir", t.TempDir(), "--imap", "127.0.0.1:0", "--smtp", "127.0.0.1:0", "--http", "127.0.0.1:0"}, nil, &out, &errs)
	}()
	// The life cycle runs on demo durations: resolved by the agent, closed
	// seconds later, the survey, rated through its link.
	deadline := time.Now().Add(60 * time.Second)
	for !strings.Contains(out.String(), "sent the acknowledgement of HD#1002") || !strings.Contains(out.String(), "the thanks page says") {
		if time.Now().After(deadline) {
			t.Fatalf("the demo did not answer its three customers, and rate the resolved ticket, in 60s:\n%s\n%s", out.String(), errs.String())
		}
		time.Sleep(50 * time.Millisecond)
	}
	for _, want := range []string{"new ticket HD#1000", "new ticket HD#1001", "new ticket HD#1002", "sent the notice to its agent of HD#1002",
		"agent ann@helpdesk.test answers", "with #status resolved", "sent the agent's answer of HD#100", "sent the resolved notice of HD#100",
		"scheduled auto-close of HD#100", ": closed", "sent the closed notice of HD#100", "sent the satisfaction survey of HD#100",
		"customer opens the survey's link for 5 (excellent)", "/csat/", "opening it recorded nothing",
		"rated 5 of 5 through the survey's link", "the thanks page says: rating recorded, 5 of 5, excellent"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("the demo's story lacks %q:\n%s", want, out.String())
		}
	}

	// What the story tells a newcomer must work: read the desk's answers
	// as the customer, over IMAP.
	m := regexp.MustCompile(`IMAP:\s+(\S+)\s+read what the desk sent: user "(\w+)", password "(\w+)"`).FindStringSubmatch(out.String())
	if m == nil {
		t.Fatalf("the demo does not say where to read mail:\n%s", out.String())
	}
	c, err := imapclient.DialInsecure(m[1], nil)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if err := c.Login(m[2], m[3]).Wait(); err != nil {
		t.Fatal(err)
	}
	sel, err := c.Select("INBOX", nil).Wait()
	if err != nil {
		t.Fatal(err)
	}
	if sel.NumMessages != 7 {
		t.Errorf("the customer's mailbox holds %d mails, want 3 acknowledgements, the agent's answer, the resolved and closed notices and the survey", sel.NumMessages)
	}
	msgs, err := c.Fetch(imap.SeqSetNum(1), &imap.FetchOptions{Envelope: true}).Collect()
	if err != nil || len(msgs) != 1 || !strings.Contains(msgs[0].Envelope.Subject, "[HD#100") {
		t.Errorf("first mail in the customer's mailbox: %+v, %v", msgs, err)
	}
	msgs, err = c.Fetch(imap.SeqSetNum(4, 5, 6, 7), &imap.FetchOptions{Envelope: true}).Collect()
	agentAnswer := false
	var subjects []string
	for _, m := range msgs {
		subjects = append(subjects, m.Envelope.Subject)
		agentAnswer = agentAnswer || len(m.Envelope.From) > 0 && m.Envelope.From[0].Name == "Ann Agent via Demo Support"
	}
	if err != nil || !agentAnswer || !strings.Contains(strings.Join(subjects, "|"), "How did we do?") {
		t.Errorf("the customer's mailbox after the acknowledgements: %q, agent's answer %v, %v", subjects, agentAnswer, err)
	}

	// The rating is the ticket's, as tickets show --json says.
	rated := regexp.MustCompile(`desk: (HD#\d+) rated 5 of 5`).FindStringSubmatch(out.String())
	cfgPath := regexp.MustCompile(`tickets list --config (\S+)`).FindStringSubmatch(out.String())
	if rated == nil || cfgPath == nil {
		t.Fatalf("the story does not name the rated ticket or the config:\n%s", out.String())
	}
	var show, showErr bytes.Buffer
	if code := run(context.Background(), []string{"tickets", "show", rated[1], "--json", "--config", cfgPath[1]}, nil, &show, &showErr); code != 0 {
		t.Fatalf("tickets show: exit %d: %s", code, showErr.String())
	}
	var tk struct {
		Status string
		CSAT   *struct {
			Rating  int
			Comment string
		}
	}
	if err := json.Unmarshal(show.Bytes(), &tk); err != nil || tk.Status != "closed" || tk.CSAT == nil || tk.CSAT.Rating != 5 || tk.CSAT.Comment != "Quick and friendly, thank you!" {
		t.Errorf("tickets show %s: %v %+v\n%s", rated[1], err, tk, show.String())
	}

	// The agent's mailbox, as the story names it, holds her three notices.
	m = regexp.MustCompile(`the agent \S+ reads hers: user "(\w+)", password "(\w+)"`).FindStringSubmatch(out.String())
	if m == nil {
		t.Fatalf("the demo does not say where the agent reads her mail:\n%s", out.String())
	}
	ac, err := imapclient.DialInsecure(regexp.MustCompile(`IMAP:\s+(\S+)`).FindStringSubmatch(out.String())[1], nil)
	if err != nil {
		t.Fatal(err)
	}
	defer ac.Close()
	if err := ac.Login(m[1], m[2]).Wait(); err != nil {
		t.Fatal(err)
	}
	if sel, err := ac.Select("INBOX", nil).Wait(); err != nil || sel.NumMessages != 3 {
		t.Errorf("the agent's mailbox: %+v, %v; want her 3 notices", sel, err)
	}

	cancel()
	select {
	case code := <-done:
		if code != 0 {
			t.Errorf("the demo exited %d after the stop signal: %s", code, errs.String())
		}
	case <-time.After(15 * time.Second):
		t.Fatal("the demo did not stop within 15s of the signal")
	}
}
