package imapwatch_test

import (
	"context"
	"log/slog"
	"os"
	"os/signal"
	"time"

	"helpdesk/mailin/imapwatch"
)

// store is where a real program parses the mail and commits it (deduped by
// Message-ID) in one transaction.
type store struct{ last map[string][2]uint32 }

func (s *store) HandleBatch(ctx context.Context, mailbox string, mails []imapwatch.Mail) ([]error, error) {
	return make([]error, len(mails)), nil // every mail committed
}

func (s *store) LoadState(ctx context.Context, mailbox string) (uint32, uint32, error) {
	v := s.last[mailbox]
	return v[0], v[1], nil
}

func (s *store) SaveState(ctx context.Context, mailbox string, uidValidity, lastUID uint32) error {
	s.last[mailbox] = [2]uint32{uidValidity, lastUID}
	return nil
}

// One Watcher per configured mailbox, each in its own goroutine.
func Example() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	st := &store{last: make(map[string][2]uint32)}
	w, err := imapwatch.New(imapwatch.Options{
		Name:            "support",
		Host:            "imap.example.com",
		Username:        "support@example.com",
		Password:        os.Getenv("HELPDESK_IMAP_PASSWORD"),
		ProcessedFolder: "Helpdesk/Done",
		IDLE:            true,
		PollInterval:    time.Minute,
		Handler:         st,
		State:           st,
		Logger:          slog.Default(),
	})
	if err != nil {
		slog.Error("bad mailbox config", "err", err)
		return
	}
	go w.Run(ctx) // returns nil once ctx is done
	<-ctx.Done()
}
