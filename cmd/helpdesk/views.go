package main

import (
	"context"
	"fmt"
	"io"
	"strings"
	"time"

	"helpdesk/desk"
	"helpdesk/tickets"
)

// The JSON views below are a stable, documented interface (see the README):
// add fields, never rename or remove them.

type ticketView struct {
	ID            int64    `json:"id"`
	Ref           string   `json:"ref"`
	Subject       string   `json:"subject"`
	Status        string   `json:"status"`
	Priority      string   `json:"priority"`
	Queue         string   `json:"queue"`
	Mailbox       string   `json:"mailbox"`
	Category      string   `json:"category"`
	Requester     string   `json:"requester"`
	RequesterName string   `json:"requester_name"`
	Assignee      string   `json:"assignee"`
	Tags          []string `json:"tags"`
	MergedInto    string   `json:"merged_into,omitempty"`
	// FollowUpOf: the closed ticket (a ref) whose customer wrote again
	// after its reopen window, which opened this one.
	FollowUpOf string    `json:"follow_up_of,omitempty"`
	CreatedAt  time.Time `json:"created_at"`
	UpdatedAt  time.Time `json:"updated_at"`

	// SenderVerified: whether the first mail's sender passed the checks of
	// a trusted mail server; null when the desk checks none.
	SenderVerified *bool `json:"sender_verified"`
	// FirstResponseAt: when an agent's first answer went to the customer;
	// absent until then.
	FirstResponseAt time.Time `json:"first_response_at,omitzero"`
	// Resolution: the note (root cause and fix) given when the ticket was
	// last resolved; "" when none was given.
	Resolution string `json:"resolution"`
	// ResolvedAt and ClosedAt: when the ticket was resolved and closed;
	// absent while it is not.
	ResolvedAt time.Time `json:"resolved_at,omitzero"`
	ClosedAt   time.Time `json:"closed_at,omitzero"`
	// CSAT: the customer's rating, null until one is given.
	CSAT *csatView `json:"csat"`
	// Language: the customer's language, the language of the desk's mail
	// to them ("de"); "" when the ticket has none (the default language).
	Language string `json:"language"`
	// SLA: the ticket's SLA clocks (see slaView); null when its priority
	// has no targets.
	SLA *slaView `json:"sla"`
}

type csatView struct {
	Rating  int       `json:"rating"`
	Comment string    `json:"comment"`
	At      time.Time `json:"at"`
}

func newTicketView(d *desk.Desk, t *tickets.Ticket) ticketView {
	v := ticketView{
		ID: t.ID, Ref: d.Service.Ref(t.ID), Subject: t.Subject, Status: string(t.Status), Priority: t.Priority,
		Queue: t.Queue, Mailbox: t.Mailbox, Category: t.Category, Requester: t.Requester.Email,
		RequesterName: t.Requester.Name, Assignee: t.Assignee, Tags: t.Tags, CreatedAt: t.CreatedAt, UpdatedAt: t.UpdatedAt,
		SenderVerified: t.SenderVerified, FirstResponseAt: t.FirstResponseAt,
		Resolution: t.Resolution, ResolvedAt: t.ResolvedAt, ClosedAt: t.ClosedAt,
		Language: t.Language,
	}
	if v.Tags == nil {
		v.Tags = []string{}
	}
	if t.MergedInto != 0 {
		v.MergedInto = d.Service.Ref(t.MergedInto)
	}
	if t.FollowUpOf != 0 {
		v.FollowUpOf = d.Service.Ref(t.FollowUpOf)
	}
	if t.CSAT.Rating != 0 {
		v.CSAT = &csatView{Rating: t.CSAT.Rating, Comment: t.CSAT.Comment, At: t.CSAT.At}
	}
	return v
}

type participantView struct {
	Email string `json:"email"`
	Name  string `json:"name"`
	Role  string `json:"role"`
}

type attachmentView struct {
	Filename    string `json:"filename"`
	ContentType string `json:"content_type"`
	Size        int64  `json:"size"`
}

type messageView struct {
	ID          int64            `json:"id"`
	Direction   string           `json:"direction"`
	Kind        string           `json:"kind"`
	From        string           `json:"from"`
	FromName    string           `json:"from_name"`
	To          []string         `json:"to"`
	Cc          []string         `json:"cc"`
	Subject     string           `json:"subject"`
	Text        string           `json:"text"`
	HTML        string           `json:"html"`
	MessageID   string           `json:"message_id"`
	InReplyTo   string           `json:"in_reply_to"`
	AutoReason  string           `json:"auto_reason"`
	Unverified  bool             `json:"unverified"`       // threaded by a Message-ID from someone not on the ticket, or through an agent's token from someone else
	Author      string           `json:"author,omitempty"` // kinds agent, note and agent_relay: the agent's email (a vendor's for its answer, a note)
	Attachments []attachmentView `json:"attachments"`
	Delivery    string           `json:"delivery,omitempty"` // outbound only: queued, sent, failed
	CreatedAt   time.Time        `json:"created_at"`

	vendor bool // a vendor's answer kept as a note: its author is no agent
}

type eventView struct {
	Kind      string    `json:"kind"`
	Actor     string    `json:"actor"`
	Detail    string    `json:"detail"`
	CreatedAt time.Time `json:"created_at"`
}

type ticketDetail struct {
	ticketView
	Participants []participantView `json:"participants"`
	Messages     []messageView     `json:"messages"`
	Events       []eventView       `json:"events"`
}

func emails(as []tickets.Address) []string {
	out := make([]string, len(as))
	for i, a := range as {
		out[i] = a.Email
	}
	return out
}

// loadTicketDetail is ticket id as the views show it.
func loadTicketDetail(ctx context.Context, d *desk.Desk, id int64) (*ticketDetail, error) {
	det, err := d.Service.Detail(ctx, id)
	if err != nil {
		return nil, err
	}
	v := &ticketDetail{ticketView: newTicketView(d, det.Ticket), Participants: []participantView{}, Messages: []messageView{}, Events: []eventView{}}
	if v.SLA, err = slaOf(ctx, d, id); err != nil {
		return nil, err
	}
	for _, p := range det.Participants {
		v.Participants = append(v.Participants, participantView{Email: p.Email, Name: p.Name, Role: p.Role})
	}
	for _, m := range det.Messages {
		mv := messageView{
			ID: m.ID, Direction: string(m.Direction), Kind: m.Kind, From: m.From.Email, FromName: m.From.Name,
			To: emails(m.To), Cc: emails(m.Cc), Subject: m.Subject, Text: m.Text, HTML: m.HTML, MessageID: m.MessageID,
			InReplyTo: m.InReplyTo, AutoReason: m.AutoReason, Unverified: m.Unverified, Author: m.Author, Attachments: []attachmentView{},
			Delivery: det.Delivery[m.ID], CreatedAt: m.CreatedAt,
		}
		mv.vendor = m.Kind == tickets.KindNote && m.Author != "" && d.Service.FindAgent(m.Author) == nil
		for _, a := range m.Attachments {
			mv.Attachments = append(mv.Attachments, attachmentView{Filename: a.Filename, ContentType: a.ContentType, Size: a.Size})
		}
		v.Messages = append(v.Messages, mv)
	}
	for _, e := range det.Events {
		v.Events = append(v.Events, eventView{Kind: e.Kind, Actor: e.Actor, Detail: e.Detail, CreatedAt: e.CreatedAt})
	}
	return v, nil
}

// printTicketDetail prints a ticket for a person at a terminal; every
// text from mail goes through termLine or termText.
func printTicketDetail(w io.Writer, v *ticketDetail) error {
	fmt.Fprintf(w, "%s  %s\nstatus %s, priority %s, queue %s, requester %s", v.Ref, termLine(v.Subject), v.Status, v.Priority,
		termLine(v.Queue), termLine(v.Requester))
	if v.Assignee != "" {
		fmt.Fprintf(w, ", assignee %s", termLine(v.Assignee))
	}
	if len(v.Tags) > 0 {
		fmt.Fprintf(w, ", tags %s", termLine(strings.Join(v.Tags, " ")))
	}
	if v.SenderVerified != nil && !*v.SenderVerified {
		fmt.Fprint(w, ", sender not verified")
	}
	fmt.Fprintf(w, "\nopened %s, updated %s\n", v.CreatedAt.Local().Format(time.DateTime), v.UpdatedAt.Local().Format(time.DateTime))
	if v.SLA != nil {
		printSLA(w, v.SLA)
	}
	if v.CSAT != nil {
		fmt.Fprintf(w, "rated %d of 5 on %s: %s\n", v.CSAT.Rating, v.CSAT.At.Local().Format(time.DateTime), termLine(v.CSAT.Comment))
	}
	if v.Resolution != "" {
		fmt.Fprintln(w, "resolution:")
		for _, line := range strings.Split(v.Resolution, "\n") {
			fmt.Fprintf(w, "   %s\n", termText(line))
		}
	}
	for _, m := range v.Messages {
		arrow := "<-"
		if m.Direction == "out" {
			arrow = "->"
		}
		fmt.Fprintf(w, "\n%s %s %s %s  %s", arrow, m.CreatedAt.Local().Format(time.DateTime), m.Kind, termLine(m.From), termLine(m.Subject))
		if m.Delivery != "" {
			fmt.Fprintf(w, "  [%s]", m.Delivery)
		}
		switch {
		case m.vendor && m.Unverified:
			fmt.Fprintf(w, "  [UNVERIFIED: through the reply address of vendor %s, the sender is not verified]", termLine(m.Author))
		case m.vendor:
			fmt.Fprintf(w, "  [vendor %s: internal note]", termLine(m.Author))
		case m.Unverified && m.Kind == tickets.KindNote:
			fmt.Fprint(w, "  [UNVERIFIED: not from the agent whose reply address it came through]")
		case m.Unverified:
			fmt.Fprint(w, "  [UNVERIFIED: the sender is not on this ticket]")
		case m.Author != "" && m.Direction == "in":
			fmt.Fprintf(w, "  [agent %s]", termLine(m.Author))
		}
		fmt.Fprintln(w)
		for _, a := range m.Attachments {
			fmt.Fprintf(w, "   attachment: %s (%s, %d bytes)\n", termLine(a.Filename), termLine(a.ContentType), a.Size)
		}
		for _, line := range strings.Split(strings.TrimSpace(m.Text), "\n") {
			fmt.Fprintf(w, "   %s\n", termText(line))
		}
	}
	fmt.Fprintln(w, "\nevents:")
	for _, e := range v.Events {
		fmt.Fprintf(w, "  %s  %-16s %s  %s\n", e.CreatedAt.Local().Format(time.DateTime), e.Kind, termLine(e.Actor), termLine(e.Detail))
	}
	return nil
}

type outboxView struct {
	ID            int64     `json:"id"`
	Ticket        string    `json:"ticket"`
	Kind          string    `json:"kind"`
	To            []string  `json:"to"`
	Subject       string    `json:"subject"`
	MessageID     string    `json:"message_id"`
	Status        string    `json:"status"`
	Attempts      int       `json:"attempts"`
	NextAttemptAt time.Time `json:"next_attempt_at"`
	LastError     string    `json:"last_error"`
	CreatedAt     time.Time `json:"created_at"`
	SentAt        time.Time `json:"sent_at,omitzero"`
}

func newOutboxView(d *desk.Desk, it tickets.OutboxItem) outboxView {
	return outboxView{
		ID: it.ID, Ticket: d.Service.Ref(it.TicketID), Kind: it.Message.Kind, To: emails(it.Message.To),
		Subject: it.Message.Subject, MessageID: it.Message.MessageID, Status: it.Status, Attempts: it.Attempts,
		NextAttemptAt: it.NextAttemptAt, LastError: it.LastError, CreatedAt: it.CreatedAt, SentAt: it.SentAt,
	}
}

type quarantineView struct {
	ID        int64     `json:"id"`
	Mailbox   string    `json:"mailbox"`
	Reason    string    `json:"reason"`
	Size      int64     `json:"size"`
	Truncated bool      `json:"truncated,omitempty"` // only the head of a mail over the size limit is kept
	State     string    `json:"state"`               // held or released
	Ticket    string    `json:"ticket,omitempty"`
	CreatedAt time.Time `json:"created_at"`
	// RawBase64 is the mail's bytes (show --json only): base64, because a
	// quarantined mail is often not valid UTF-8.
	RawBase64 string `json:"raw_base64,omitempty"`
}

func newQuarantineView(d *desk.Desk, q tickets.Quarantined) quarantineView {
	v := quarantineView{ID: q.ID, Mailbox: q.Mailbox, Reason: q.Reason, Size: q.Size, Truncated: q.Truncated, State: "held", CreatedAt: q.CreatedAt}
	if !q.ReleasedAt.IsZero() {
		v.State = "released"
		v.Ticket = d.Service.Ref(q.TicketID)
	}
	return v
}

type outcomeView struct {
	Ticket       string `json:"ticket,omitempty"`
	TicketID     int64  `json:"ticket_id,omitempty"`
	Created      bool   `json:"created"`
	Duplicate    bool   `json:"duplicate"`
	ThreadedBy   string `json:"threaded_by,omitempty"`
	Reopened     bool   `json:"reopened"`
	Unverified   bool   `json:"unverified"`
	Quarantined  bool   `json:"quarantined"`
	QuarantineID int64  `json:"quarantine_id,omitempty"`
	Reason       string `json:"reason,omitempty"`
}

func outcomeViewOf(o desk.Outcome) outcomeView {
	return outcomeView{Ticket: o.Ref, TicketID: o.TicketID, Created: o.Created, Duplicate: o.Duplicate,
		ThreadedBy: o.ThreadedBy, Reopened: o.Reopened, Unverified: o.Unverified, Quarantined: o.Quarantined,
		QuarantineID: o.QuarantineID, Reason: o.Reason}
}
