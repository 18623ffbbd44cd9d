package main

import (
	"bytes"
	"context"
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
		done <- run(ctx, []string{"demo", "--dir", t.TempDir(), "--imap", "127.0.0.1:0", "--smtp", "127.0.0.1:0"}, nil, &out, &errs)
	}()
	deadline := time.Now().Add(30 * time.Second)
	for !strings.Contains(out.String(), "sent the acknowledgement of HD#1002") || !strings.Contains(out.String(), "sent the agent's answer of HD#100") {
		if time.Now().After(deadline) {
			t.Fatalf("the demo did not answer its three customers, and its agent one of them, in 30s:\n%s\n%s", out.String(), errs.String())
		}
		time.Sleep(50 * time.Millisecond)
	}
	for _, want := range []string{"new ticket HD#1000", "new ticket HD#1001", "new ticket HD#1002", "sent the notice to its agent of HD#1002",
		"agent ann@helpdesk.test answers"} {
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
	if sel.NumMessages != 4 {
		t.Errorf("the customer's mailbox holds %d mails, want 3 acknowledgements and the agent's answer", sel.NumMessages)
	}
	msgs, err := c.Fetch(imap.SeqSetNum(1), &imap.FetchOptions{Envelope: true}).Collect()
	if err != nil || len(msgs) != 1 || !strings.Contains(msgs[0].Envelope.Subject, "[HD#100") {
		t.Errorf("first mail in the customer's mailbox: %+v, %v", msgs, err)
	}
	msgs, err = c.Fetch(imap.SeqSetNum(4), &imap.FetchOptions{Envelope: true}).Collect()
	if err != nil || len(msgs) != 1 || len(msgs[0].Envelope.From) == 0 || msgs[0].Envelope.From[0].Name != "Ann Agent via Demo Support" {
		t.Errorf("the agent's answer in the customer's mailbox: %+v, %v", msgs, err)
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
