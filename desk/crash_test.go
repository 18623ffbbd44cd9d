package desk_test

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"syscall"
	"testing"
	"time"

	"github.com/emersion/go-imap/v2/imapclient"

	"helpdesk/tickets"
)

// The fault hook lives only in a build with -tags faultinject: the
// release binary cannot be told to kill itself.
func TestReleaseBuildHasNoFaultHook(t *testing.T) {
	for _, tc := range []struct {
		tags string
		want bool
	}{{"faultinject", true}, {"", false}} {
		raw, err := os.ReadFile(helpdeskBinary(t, tc.tags))
		if err != nil {
			t.Fatal(err)
		}
		if got := bytes.Contains(raw, []byte("HELPDESK_FAULT")); got != tc.want {
			t.Errorf("build with tags %q holds the fault hook: %v, want %v", tc.tags, got, tc.want)
		}
	}
}

// crashAfterCommit kills a real daemon process with SIGKILL right after it
// committed a batch of mail, before it marked the mails done on the server
// (\Seen, or MOVE to processedFolder when set), then runs the release
// build on the same database and mailbox: every mail must make exactly one
// ticket and one acknowledgement, and end up marked done. The restarted
// daemon reads the mailbox once the killed one's lease has run out, so
// both run with a short one (crashLease), as an admin can set with
// --lease.
func crashAfterCommit(t *testing.T, dm *daemon, processedFolder string) {
	var ids []string
	for i := range 3 {
		ids = append(ids, fmt.Sprintf("crash-%d@a.test", i))
		dm.put("support", customer(ids[i], fmt.Sprintf("c%d@a.test", i), "Crash", "hello"))
	}
	lease := []string{"--lease", crashLease.String()}
	faulty := dm.startProcessArgs(helpdeskBinary(t, "faultinject"), lease, "HELPDESK_FAULT=after-commit")
	if ws := faulty.wait(); !ws.Signaled() || ws.Signal() != syscall.SIGKILL {
		t.Fatalf("the daemon ended with %v, want killed by SIGKILL after the commit", faulty.cmd.ProcessState)
	}

	// What the kill left: the batch committed with its acknowledgements
	// queued, none sent, and every mail still unread in the INBOX.
	obs := dm.observer()
	if got, want := obs.tally(), (tally{tickets: 3, inbound: 3, sent: 0}); got != want {
		t.Fatalf("after the kill the system holds %v, want %v", got, want)
	}
	queued, err := obs.store.Outbox(context.Background(), tickets.OutboxFilter{Status: tickets.OutboxQueued})
	if err != nil || len(queued) != 3 {
		t.Fatalf("after the kill %d acknowledgements are queued (%v), want 3", len(queued), err)
	}
	if st := dm.folder("INBOX"); st.messages != 3 || st.unseen != 3 {
		t.Fatalf("after the kill the INBOX holds %d mails, %d unread; want 3 unread", st.messages, st.unseen)
	}

	normal := dm.startProcessArgs(helpdeskBinary(t, ""), lease)
	ids = append(ids, "after@a.test")
	dm.put("support", customer(ids[3], "bob@b.test", "After", "hello"))
	dm.expectIdle(tally{tickets: 4, inbound: 4, sent: 4})
	dm.expectOneAckEach(ids...)
	dm.expectOneTicketEach(ids...)
	inbox := dm.folder("INBOX")
	if processedFolder == "" {
		if inbox.messages != 4 || inbox.unseen != 0 {
			t.Errorf("the INBOX holds %d mails, %d unread; want 4, all read", inbox.messages, inbox.unseen)
		}
	} else {
		if done := dm.folder(processedFolder); inbox.messages != 0 || done.messages != 4 {
			t.Errorf("the INBOX holds %d mails and %s %d; want 0 and 4", inbox.messages, processedFolder, done.messages)
		}
	}
	normal.stop()
}

// crashLease is the mailbox lease of the daemons crashAfterCommit runs:
// the killed daemon's mailbox is read again within it.
const crashLease = 2 * time.Second

// folder returns the STATUS of a folder of the support user.
func (dm *daemon) folder(name string) folderState {
	dm.t.Helper()
	st, err := statusOf(func() (*imapclient.Client, error) { return dm.dial("support") }, name)
	if err != nil {
		dm.t.Fatal(err)
	}
	return st
}

// expectOneTicketEach checks that each Message-ID is stored exactly once,
// and that no ticket is empty.
func (dm *daemon) expectOneTicketEach(ids ...string) {
	dm.t.Helper()
	ctx := context.Background()
	store := dm.observer().store
	list, err := store.ListTickets(ctx, tickets.TicketFilter{})
	if err != nil {
		dm.t.Fatal(err)
	}
	stored := map[string]int{}
	for _, tk := range list {
		msgs, err := store.Messages(ctx, tk.ID)
		if err != nil {
			dm.t.Fatal(err)
		}
		for _, m := range msgs {
			if m.Direction == tickets.In {
				stored[m.MessageID]++
			}
		}
		if len(msgs) == 0 {
			dm.t.Errorf("ticket %d has no messages", tk.ID)
		}
	}
	for _, id := range ids {
		if stored[id] != 1 {
			dm.t.Errorf("mail %s is stored %d times, want once", id, stored[id])
		}
	}
}

func TestDaemonKilledBetweenCommitAndSeenMakesNoDuplicate(t *testing.T) {
	onEachDatabase(t, testDaemonKilledBetweenCommitAndSeenMakesNoDuplicate)
}

func testDaemonKilledBetweenCommitAndSeenMakesNoDuplicate(t *testing.T) {
	for _, processed := range []string{"", "Processed"} {
		name := "flagged seen"
		if processed != "" {
			name = "moved to a processed folder"
		}
		t.Run(name, func(t *testing.T) {
			extra := ""
			if processed != "" {
				extra = fmt.Sprintf("  processed_folder = %q\n", processed)
			}
			crashAfterCommit(t, newDaemon(t, extra), processed)
		})
	}
}

func TestDaemonOnDovecotKilledBetweenCommitAndSeenMakesNoDuplicate(t *testing.T) {
	onEachDatabase(t, testDaemonOnDovecotKilledBetweenCommitAndSeenMakesNoDuplicate)
}

func testDaemonOnDovecotKilledBetweenCommitAndSeenMakesNoDuplicate(t *testing.T) {
	for _, processed := range []string{"", "Processed/Helpdesk"} {
		name := "flagged seen"
		if processed != "" {
			name = "moved to a processed folder"
		}
		t.Run(name, func(t *testing.T) {
			extra := ""
			if processed != "" {
				extra = fmt.Sprintf("processed_folder = %q", processed)
			}
			crashAfterCommit(t, newOnDovecot(t, extra, nil).daemon, processed)
		})
	}
}
