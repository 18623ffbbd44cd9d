package sqlstore

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"maps"
	"slices"
	"time"

	"github.com/jmoiron/sqlx"

	"helpdesk/tickets"
)

func (s *Store) AssigneeLoad(ctx context.Context) (map[string]int, error) {
	return s.read().AssigneeLoad(ctx)
}

func (q *queries) AssigneeLoad(ctx context.Context) (map[string]int, error) {
	var rows []struct {
		Assignee string `db:"assignee"`
		Open     int    `db:"open"`
	}
	if err := q.selectAll(ctx, &rows, "assignee-load"); err != nil {
		return nil, err
	}
	out := make(map[string]int, len(rows))
	for _, r := range rows {
		out[r.Assignee] = r.Open
	}
	return out, nil
}

func (q *queries) LastAssigned(ctx context.Context, queue string) (string, error) {
	var agent string
	err := q.get(ctx, &agent, "last-assigned", queue)
	if errors.Is(err, tickets.ErrNotFound) {
		return "", nil
	}
	return agent, err
}

func (q *queries) SetLastAssigned(ctx context.Context, queue, agent string, at time.Time) error {
	_, err := q.exec(ctx, "set-last-assigned", queue, agent, at.UTC())
	return err
}

// withAttachments loads the files of outbound items, content and all, for
// their delivery: an agent's answer carries the agent's attachments, a
// notification the customer's.
func (q *queries) withAttachments(ctx context.Context, items []tickets.OutboxItem) error {
	if len(items) == 0 {
		return nil
	}
	ids := make([]int64, len(items))
	for i, it := range items {
		ids[i] = it.Message.ID
	}
	query, args, err := q.in("attachments-of-messages", ids)
	if err != nil {
		return err
	}
	var rows []struct {
		ID          int64  `db:"id"`
		MessageID   int64  `db:"message_id"`
		Filename    string `db:"filename"`
		ContentType string `db:"content_type"`
		Size        int64  `db:"size"`
		Content     []byte `db:"content"`
	}
	if err := sqlx.SelectContext(ctx, q.x, &rows, query, args...); err != nil {
		return fmt.Errorf("attachments-of-messages: %w", err)
	}
	contents := make(map[int64]*[]byte, len(rows))
	for i, r := range rows {
		contents[r.ID] = &rows[i].Content
	}
	if err := q.appendParts(ctx, "attachment-parts", contents); err != nil {
		return err
	}
	byMsg := map[int64][]tickets.Attachment{}
	for _, r := range rows {
		byMsg[r.MessageID] = append(byMsg[r.MessageID], tickets.Attachment{ID: r.ID, Filename: r.Filename,
			ContentType: r.ContentType, Size: r.Size, Data: r.Content})
	}
	for i := range items {
		items[i].Message.Attachments = byMsg[items[i].Message.ID]
	}
	return nil
}

// appendParts appends to each value in contents, by the id of its row,
// the parts that query name finds of it (see blobPart). Only a full first
// part may have more after it: the others cost no query.
func (q *queries) appendParts(ctx context.Context, name string, contents map[int64]*[]byte) error {
	parted := map[int64]*[]byte{}
	for id, c := range contents {
		if len(*c) >= blobPart {
			parted[id] = c
		}
	}
	if len(parted) == 0 {
		return nil
	}
	query, args, err := q.in(name, slices.Collect(maps.Keys(parted)))
	if err != nil {
		return err
	}
	rows, err := q.x.QueryContext(ctx, query, args...)
	if err != nil {
		return fmt.Errorf("%s: %w", name, err)
	}
	defer rows.Close()
	for rows.Next() {
		var id int64
		var data sql.RawBytes // appended before the next row
		if err := rows.Scan(&id, &data); err != nil {
			return fmt.Errorf("%s: %w", name, err)
		}
		*parted[id] = append(*parted[id], data...)
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("%s: %w", name, err)
	}
	return nil
}
