// Package imapwatch owns the IMAP side of mail intake: one Watcher per
// configured mailbox keeps a connection to the server, finds every new mail,
// hands it to a Handler and, once the Handler has stored it, marks it done on
// the server (flag \Seen, or move it to a processed folder). It knows nothing
// about tickets or SQL: delivery is the Handler interface and the per-mailbox
// cursor is the State interface.
//
// # Exactly once
//
// For each batch of mails the order is fixed:
//
//  1. Handler.HandleBatch commits the mail (as a ticket message or in the
//     quarantine) and returns nil for it;
//  2. the Watcher marks it done on the server (UID STORE +FLAGS.SILENT (\Seen),
//     or UID MOVE to Options.ProcessedFolder);
//  3. the Watcher calls State.SaveState with the highest UID below which every
//     mail has been handled (at first contact: below which every unseen
//     mail has been handled, or UIDVALIDITY 0; see below).
//
// A crash (or shutdown) between 1 and 2 or between 2 and 3 means the mail is
// delivered again after the restart: the Handler must dedupe (by Message-ID),
// which makes the second delivery harmless. A crash before 1 commits loses
// nothing, because nothing is marked. So every mail is stored exactly once and
// none is lost. When the context is cancelled while a batch is with the
// Handler, the Watcher does not mark that batch: it is re-delivered at the
// next start.
//
// # Which mails are new
//
//   - First contact (stored UIDVALIDITY is 0): every message not \Seen
//     (UID SEARCH UNSEEN); old read mail in an existing mailbox is not
//     imported. After that first round the cursor is UIDNEXT-1 of the
//     SELECT, and later rounds take every UID above it, so a mail someone
//     opens in a mail client before the next round is not missed.
//   - UIDVALIDITY changed, or the saved UID is not below the server's
//     UIDNEXT (a server restored from a backup): a warning, then the
//     first-contact rules again. Unseen mail is read again (the Handler's
//     dedupe keeps what it already has from doubling); read mail is not, so
//     a server migration does not turn years of old mail into new tickets.
//   - Otherwise: every UID above the cursor, whatever its flags (a person may
//     have opened the mail in a mail client; it must still be handled).
//
// A mail the Handler could not store (or a whole batch it failed) stops the
// cursor, but not the mails after it: they are handled and marked,
// remembered in memory, and skipped in later rounds; the failed one stays
// unmarked and is retried on the same connection after Backoff(n) for its
// n-th failure. The Handler is expected to quarantine mail it cannot parse,
// so its errors are temporary. A failed mail that is deleted meanwhile is
// dropped.
//
// An unseen mail that fails at first contact is retried the same way, but
// the cursor has already passed it. So that a restart does not lose it, the
// State gets UIDVALIDITY 0 and a cursor just below it until it is stored:
// the next start then finishes first contact, taking every unseen mail and
// every mail above the saved UID, which includes the failed one even if
// someone has read it meanwhile (the stored mails above it come again and
// the handler dedupes them).
//
// # Memory
//
// Each round first asks for the sizes of the new mails (RFC822.SIZE), then
// fetches them in batches of at most Options.BatchSize mails and
// Options.MaxBatchBytes bytes; a batch is held in memory whole. While the
// Handler stores one batch, the next is fetched on the same connection
// when the two fit in MaxBatchBytes together, so that storing and fetching
// overlap without holding more: one batch at a time is with the Handler,
// and a batch is marked done only after the Handler has returned. A mail larger
// than Options.MaxMessageSize (when set) is fetched alone and only in part
// (BODY.PEEK[]<0.MaxMessageSize+1>), and handed over with Mail.Truncated set,
// for the Handler to quarantine as over-size; no body is ever kept beyond
// that many bytes, whatever size the server announced.
//
// # Mail the server will not serve
//
// When the server answers a batch's FETCH with NO (Gmail: "Some messages
// could not be FETCHed") or leaves a body out (Exchange sends BODY[] NIL for
// a corrupt item), the mails missing are fetched one by one. One that still
// fails, and still exists, goes into the retry set like a Handler failure:
// it holds the cursor, every other mail is handled, it is logged (keys
// "mailbox", "uid", "err", "attempt") and listed in Status.Stuck. When the
// connection dies during a FETCH (Dovecot says BYE and hangs up on a mail
// file it cannot read), the mails that did not come are fetched one by one
// on the next connection, after the others; one that drops the connection
// again is retried with backoff and listed in Status.Stuck. Each retry of
// any mail is logged as a warning, from the tenth on as an error.
//
// # Waiting for mail
//
// After each round the Watcher waits in IDLE when the server offers it and
// Options.IDLE is set (woken by the server's EXISTS, by Kick, and every
// IdleRefresh), otherwise it polls every PollInterval (or on Kick). Mail
// that arrives between the last command and the start of IDLE is announced
// by the server when IDLE begins (Dovecot does; go-imap's imapmemserver does
// not), and is found at the next IdleRefresh at the latest.
//
// # Faults
//
// Any other error (network, server, State) closes the connection, is logged
// with the keys "mailbox", "err" and "attempt", and the Watcher reconnects
// after Backoff(attempt). attempt starts again at 1 only after a connection
// that handled mail or lasted a minute, so a server that drops every
// connection at once (IDLE refused, say) sees ever longer waits, not a login
// a second. A server that stays silent for two minutes while a command waits
// for it counts as a dead connection; a FETCH that keeps sending data, one
// large mail on a slow link say, is not cut off however long it takes.
// Passwords and tokens are never logged.
package imapwatch
