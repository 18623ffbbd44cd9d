package tickets

import (
	"context"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"
)

// An agent steers a ticket with #commands, one per line at the top of a
// reply, before any other text:
//
//	#status open|pending|resolved|closed
//	#status resolved [resolution note]
//	#resolution [text]   (with #status resolved: the resolution note, this
//	                     line's text and the lines below it up to the
//	                     first empty line)
//	#priority P1..P4
//	#assign AGENT        (address, alias or name)
//	#take                (assign to oneself)
//	#tag +x -y           (a bare word adds)
//	#queue NAME
//	#merge REF           (this ticket into ticket REF: HD#1042 or 1042)
//	#note [text]         (the reply is an internal note)
//	#lang de             (the language of the desk's mail to the customer)
//
// and, alone on any line of the reply, "#macro NAME" puts the admin's
// canned answer NAME in the line's place (see macros.go).
//	#kb                  (with #status resolved and a resolution note: draft
//	                     a knowledge-base article from the ticket)
//	#kb-link SLUG        (the published article's title and link, after
//	                     the answer; also inside the text)
//	#escalate QUEUE [reason]    (to a specialist queue; see escalate.go)
//	#escalate manager [reason]  (to the queue's escalation address)
//	#escalate CONTACT|ADDRESS [text]  (to an outside vendor: the text and
//	                     the reply's text go to the vendor, not the
//	                     customer)
//
// Names and values are read in any case ("#Status Resolved": phones
// capitalize the first letter). The commands are not part of the text
// relayed to the customer.

// command is one #command line of an agent's reply.
type command struct {
	line int    // 1-based, in the reply's text without its quoted history
	raw  string // the line as written
	name string // lowercased, without '#'
	arg  string

	// What checkCommands resolved.
	status Status
	note   string // a resolution note
	agent  *Agent
	into   int64
	add    []string
	remove []string
	esc    escalation
}

// maxCommands bounds the commands one reply may give; a reply with more
// is answered as wrong, so that none of them reaches the customer.
const maxCommands = 20

// parseCommands splits an agent's text into the #command lines at its top
// and the text after them. The text after "#note" on its line is the
// note's first line.
func parseCommands(text string) ([]command, string) {
	lines := strings.Split(text, "\n")
	var cmds []command
	var lead string
	i := 0
	for ; i < len(lines); i++ {
		l := strings.TrimSpace(lines[i])
		if l == "" {
			continue
		}
		if _, macro := macroName(l); !isCommandLine(l) || macro {
			break
		}
		name, arg, _ := strings.Cut(l[1:], " ")
		c := command{line: i + 1, raw: l, name: strings.ToLower(name), arg: strings.TrimSpace(arg)}
		if c.name == "note" && c.arg != "" {
			lead, c.arg = c.arg, ""
		}
		if c.name == "resolution" {
			// The block runs to the first empty line.
			block := []string{c.arg}
			for i+1 < len(lines) && strings.TrimSpace(lines[i+1]) != "" {
				i++
				block = append(block, strings.TrimRight(lines[i], " \t\r"))
			}
			c.note = strings.TrimSpace(strings.Join(block, "\n"))
		}
		cmds = append(cmds, c)
	}
	rest := strings.TrimSpace(strings.Join(lines[i:], "\n"))
	if lead != "" {
		rest = strings.TrimSpace(lead + "\n" + rest)
	}
	return cmds, rest
}

// isCommandLine reports whether l (trimmed) is a #command: '#' and a
// letter ("#1 problem" and "##" are text).
func isCommandLine(l string) bool {
	if len(l) < 2 || l[0] != '#' {
		return false
	}
	r, _ := utf8.DecodeRuneInString(l[1:])
	return unicode.IsLetter(r)
}

// checkCommands resolves every command and returns what is wrong with
// each wrong one, naming its line.
func (s *Service) checkCommands(ctx context.Context, tx Tx, t *Ticket, a *Agent, cmds []command) []Problem {
	var problems []Problem
	wrong := func(c command, format string, args ...any) {
		problems = append(problems, Problem{Line: c.line, Text: c.raw, Format: format, Args: args})
	}
	if len(cmds) > maxCommands {
		return []Problem{{Format: "%d commands: one reply may give at most %d", Args: []any{len(cmds), maxCommands}}}
	}
	merges, escalations := 0, 0
	resolved, resolutions := false, 0
	for i := range cmds {
		c := &cmds[i]
		switch c.name {
		case "status":
			word, note, _ := strings.Cut(c.arg, " ")
			switch st := Status(strings.ToLower(word)); st {
			case StatusOpen, StatusPending, StatusPendingVendor, StatusResolved, StatusClosed:
				c.status = st
				c.note = strings.TrimSpace(note)
				if c.note != "" && st != StatusResolved {
					wrong(*c, "only #status resolved takes a note (the resolution)")
				}
				if st == StatusResolved {
					resolved = true
					if c.note != "" {
						resolutions++
					}
				}
			default:
				wrong(*c, "unknown status %q (use open, pending, pending_vendor, resolved or closed)", c.arg)
			}
		case "resolution":
			resolutions++
			if c.note == "" {
				wrong(*c, "no resolution given (write it after #resolution, up to an empty line)")
			}
		case "priority":
			p := strings.ToUpper(c.arg)
			if !slices.Contains([]string{"P1", "P2", "P3", "P4"}, p) {
				wrong(*c, "unknown priority %q (use P1, P2, P3 or P4)", c.arg)
			}
			c.arg = p
		case "assign":
			if c.agent = s.FindAgent(c.arg); c.agent == nil {
				wrong(*c, "no agent %q (agents: %s)", c.arg, s.agentList())
			}
		case "take":
			if c.arg != "" {
				wrong(*c, "#take takes nothing after it")
			}
			c.agent = a
		case "tag":
			for _, w := range strings.Fields(c.arg) {
				switch {
				case strings.HasPrefix(w, "-") && len(w) > 1:
					c.remove = append(c.remove, w[1:])
				case strings.HasPrefix(w, "+") && len(w) > 1:
					c.add = append(c.add, w[1:])
				case w != "+" && w != "-":
					c.add = append(c.add, w)
				}
			}
			if len(c.add)+len(c.remove) == 0 {
				wrong(*c, "no tag given (write #tag +add -remove)")
			}
		case "queue":
			if !s.knownQueue(c.arg) {
				wrong(*c, "no queue %q", c.arg)
			}
		case "merge":
			merges++
			id, err := parseRef(c.arg)
			switch {
			case err != nil:
				f, args := asProblem(err)
				wrong(*c, f, args...)
			case id == t.ID:
				wrong(*c, "a ticket cannot be merged into itself")
			case merges > 1:
				wrong(*c, "only one #merge per reply")
			default:
				into, err := s.live(ctx, tx, id)
				switch {
				case err != nil:
					wrong(*c, "ticket %s could not be read: %v", s.Ref(id), err)
				case into == nil:
					wrong(*c, "no ticket %s", s.Ref(id))
				case into.ID == t.ID:
					wrong(*c, "%s is this ticket", s.Ref(id))
				case into.Status.Terminal():
					wrong(*c, "ticket %s is %s", s.Ref(into.ID), into.Status)
				default:
					c.into = into.ID
				}
			}
		case "lang":
			l, err := s.checkLanguage(c.arg)
			if err != nil {
				f, args := asProblem(err)
				wrong(*c, f, args...)
			}
			c.arg = l
		case "note":
		case "kb":
			if c.arg != "" {
				wrong(*c, "#kb takes nothing after it")
			}
		case "kb-link":
			if c.arg == "" {
				wrong(*c, "no article given (write #kb-link SLUG)")
				break
			}
			link, bad := s.expandKBLinks(ctx, tx, "#kb-link "+c.arg)
			for _, p := range bad {
				wrong(*c, p.Format, p.Args...)
			}
			c.note = link
		case "escalate":
			escalations++
			var bad *Problem
			if c.esc, bad = s.checkEscalation(t, c.arg); bad != nil {
				wrong(*c, bad.Format, bad.Args...)
			} else if escalations > 1 {
				wrong(*c, "only one #escalate per reply")
			}
		default:
			wrong(*c, "unknown command (use #status, #priority, #assign, #take, #tag, #queue, #merge, #lang, #note, #resolution, #kb, #kb-link or #escalate; #macro NAME on a line of its own)")
		}
	}
	for _, c := range cmds {
		switch {
		case c.name == "resolution" && !resolved:
			wrong(c, "#resolution goes with #status resolved")
		case c.name == "resolution" && resolutions > 1:
			wrong(c, "the resolution is given twice (after #status resolved and in #resolution)")
		case c.name == "kb" && (!resolved || resolutions == 0):
			wrong(c, "#kb drafts an article from the resolution: it goes with #status resolved and a resolution note")
		case c.name == "escalate" && c.esc.kind != "" && merges > 0:
			wrong(c, "a ticket is escalated or merged, not both in one reply")
		case c.name == "escalate" && c.esc.kind == "queue" && slices.ContainsFunc(cmds, func(o command) bool { return o.name == "queue" }):
			wrong(c, "#escalate QUEUE moves the ticket: leave out #queue")
		case c.name == "escalate" && c.esc.kind == "queue" && slices.ContainsFunc(cmds, func(o command) bool { return o.name == "assign" || o.name == "take" }):
			wrong(c, "#escalate QUEUE assigns the ticket by that queue's strategy: leave out #assign and #take (assign it afterwards)")
		case c.name == "escalate" && c.esc.kind == "vendor" && slices.ContainsFunc(cmds, func(o command) bool { return o.name == "status" }):
			wrong(c, "#escalate to a vendor sets the status pending_vendor: leave out #status")
		}
	}
	for _, c := range cmds {
		if c.name == "resolution" {
			for j := range cmds {
				if cmds[j].status == StatusResolved && cmds[j].note == "" {
					cmds[j].note = c.note
				}
			}
		}
	}
	return problems
}

// parseRef reads a ticket reference: "1042", "HD#1042" or "[HD#1042]".
func parseRef(s string) (int64, error) {
	ref := strings.Trim(strings.TrimSpace(s), "[]")
	if i := strings.LastIndexByte(ref, '#'); i >= 0 {
		ref = ref[i+1:]
	}
	id, err := strconv.ParseInt(ref, 10, 64)
	if err != nil || id <= 0 {
		return 0, &Problem{Format: "%q is not a ticket reference (write it as HD#1042 or 1042)", Args: []any{s}}
	}
	return id, nil
}

// runCommands applies checked commands to t as agent a, each an event
// with a as actor; a #merge comes last. It returns the ticket the reply
// now belongs to (the one merged into, after a #merge), and whether a
// #status set the status.
func (s *Service) runCommands(ctx context.Context, tx Tx, t *Ticket, a *Agent, cmds []command, in *Inbound, now time.Time) (*Ticket, bool, error) {
	statusSet, kb := false, false
	var esc *escalation
	var into int64
	for _, c := range cmds {
		var err error
		switch c.name {
		case "status":
			statusSet = true
			err = s.applyStatus(ctx, tx, t, c.status, c.note, a.Email, now)
		case "priority":
			if t.Priority != c.arg {
				why := fmt.Sprintf("priority %s -> %s", t.Priority, c.arg)
				if err = s.event(ctx, tx, t.ID, EventPriority, a.Email, why, now); err == nil {
					t.Priority = c.arg
					err = s.slaRecompute(ctx, tx, t, a.Email, why, now)
				}
			}
		case "assign", "take":
			err = s.reassign(ctx, tx, t, c.agent, a.Email, now)
		case "tag":
			for _, tag := range c.add {
				if !slices.Contains(t.Tags, tag) {
					t.Tags = append(t.Tags, tag)
				}
			}
			t.Tags = slices.DeleteFunc(t.Tags, func(tag string) bool { return slices.Contains(c.remove, tag) })
			err = s.event(ctx, tx, t.ID, EventTags, a.Email, "tags "+c.arg, now)
		case "queue":
			if t.Queue != c.arg {
				why := fmt.Sprintf("queue %s -> %s", t.Queue, c.arg)
				if err = s.event(ctx, tx, t.ID, EventQueue, a.Email, why, now); err == nil {
					t.Queue = c.arg
					err = s.slaRecompute(ctx, tx, t, a.Email, why, now)
				}
			}
		case "lang":
			err = s.setLanguage(ctx, tx, t, c.arg, "#lang", a.Email, now)
		case "merge":
			into = c.into
		case "kb":
			kb = true
		case "escalate":
			esc = &c.esc
		}
		if err != nil {
			return nil, false, err
		}
	}
	if kb {
		if _, err := s.draftInTx(ctx, tx, t, a.Email, now); err != nil {
			return nil, false, err
		}
	}
	if esc != nil {
		// After the other commands: the escalation carries the ticket as
		// they left it (its priority, its tags).
		if err := s.escalate(ctx, tx, t, a, *esc, in, now); err != nil {
			return nil, false, err
		}
		statusSet = statusSet || esc.kind == "vendor"
	}
	if into == 0 {
		return t, statusSet, nil
	}
	t.UpdatedAt = now
	if err := tx.UpdateTicket(ctx, t); err != nil {
		return nil, false, fmt.Errorf("updating ticket %d: %w", t.ID, err)
	}
	if err := s.mergeInTx(ctx, tx, t.ID, into, a.Email, now); err != nil {
		return nil, false, err
	}
	dst, err := tx.Ticket(ctx, into)
	if err != nil {
		return nil, false, fmt.Errorf("loading ticket %d: %w", into, err)
	}
	return dst, statusSet, nil
}

// setStatus moves t to status st as actor.
func (s *Service) setStatus(ctx context.Context, tx Tx, t *Ticket, st Status, actor string, now time.Time) error {
	if t.Status == st {
		return nil
	}
	prev := t.Status
	t.Status = st
	switch st {
	case StatusResolved:
		t.ResolvedAt, t.ClosedAt = now, time.Time{}
	case StatusClosed:
		if t.ResolvedAt.IsZero() {
			t.ResolvedAt = now
		}
		t.ClosedAt = now
	default:
		t.ResolvedAt, t.ClosedAt = time.Time{}, time.Time{}
	}
	if err := s.reschedule(ctx, tx, t, now); err != nil {
		return err
	}
	return s.event(ctx, tx, t.ID, EventStatus, actor, fmt.Sprintf("%s -> %s", prev, st), now)
}
