package sqlstore

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/jmoiron/sqlx"
)

// TableCount is how many rows a table holds in the source of a copy and,
// after it, in the target.
type TableCount struct {
	Table          string
	Source, Target int64
}

// copyTables are the desk's tables, parents before children, each with
// the columns that order its rows. A table missing here fails
// TestCopyKnowsEveryTable.
var copyTables = []struct{ name, order string }{
	{"tickets", "id"},
	{"ticket_tags", "ticket_id, tag"},
	{"participants", "ticket_id, email"},
	{"messages", "id"},
	{"raw_mails", "message_id"},
	{"raw_mail_parts", "message_id, part"},
	{"attachments", "id"},
	{"attachment_parts", "attachment_id, part"},
	{"events", "id"},
	{"outbox", "id"},
	{"quarantine", "id"},
	{"quarantine_parts", "quarantine_id, part"},
	{"mailbox_state", "mailbox"},
	{"address_state", "email"},
	{"message_fingerprints", "message_id"},
	{"queue_rotation", "queue"},
	{"leases", "name"},
	{"scheduled_jobs", "ticket_id, kind"},
	{"sla_clocks", "ticket_id, target"},
	{"kb_articles", "id"},
	{"kb_article_tickets", "article_id, ticket_id"},
	{"kb_suggestions", "ticket_id, article_id"},
	{"delivery_notes", "outbox_id"},
	{"web_submissions", "id"},
}

// Batches of a copy: an INSERT takes at most copyBatchRows rows, and
// fewer when they hold copyBatchBytes (raw mails of up to 25 MB each).
const (
	copyBatchRows  = 500
	copyBatchBytes = 32 << 20
)

// CopyTo copies every row of the desk in s into the empty PostgreSQL
// store dst, in one transaction on each side: s is read as of one moment,
// and dst gets all of it or, on any error, nothing. The sequences of dst
// continue after the copied ids. It refuses a target that holds any row,
// and checks the count of every table on both sides before it commits.
func (s *Store) CopyTo(ctx context.Context, dst *Store) ([]TableCount, error) {
	if dst.driver != "postgres" {
		return nil, fmt.Errorf("copying: the target must be a PostgreSQL database, not %s", dst.driver)
	}
	if err := dst.mustBeEmpty(ctx); err != nil {
		return nil, err
	}
	// On SQLite the write lock, held to the end: no writer changes the
	// source under the copy (a running daemon makes this wait, then fail).
	src, err := s.db.BeginTxx(ctx, nil)
	if err != nil {
		return nil, fmt.Errorf("reading the source: %w", err)
	}
	defer src.Rollback()
	tx, err := dst.db.BeginTxx(ctx, nil)
	if err != nil {
		return nil, fmt.Errorf("writing the target: %w", err)
	}
	defer tx.Rollback()

	var counts []TableCount
	var merged [][2]int64 // tickets.merged_into, set once every ticket is there
	for _, t := range copyTables {
		n, err := copyTable(ctx, src, tx, t.name, t.order, &merged)
		if err != nil {
			return nil, fmt.Errorf("copying %s: %w", t.name, err)
		}
		counts = append(counts, TableCount{Table: t.name, Target: n})
	}
	for _, m := range merged {
		if _, err := tx.ExecContext(ctx, "UPDATE tickets SET merged_into = $1 WHERE id = $2", m[1], m[0]); err != nil {
			return nil, fmt.Errorf("copying tickets: merged into: %w", err)
		}
	}
	if err := continueSequences(ctx, tx); err != nil {
		return nil, err
	}
	var wrong []string
	for i := range counts {
		c := &counts[i]
		if err := src.GetContext(ctx, &c.Source, "SELECT COUNT(*) FROM "+c.Table); err != nil {
			return nil, fmt.Errorf("counting %s in the source: %w", c.Table, err)
		}
		if err := tx.GetContext(ctx, &c.Target, "SELECT COUNT(*) FROM "+c.Table); err != nil {
			return nil, fmt.Errorf("counting %s in the target: %w", c.Table, err)
		}
		if c.Source != c.Target {
			wrong = append(wrong, fmt.Sprintf("%s: %d rows in the source, %d copied", c.Table, c.Source, c.Target))
		}
	}
	if len(wrong) > 0 {
		return counts, fmt.Errorf("copying: the counts differ, nothing was kept: %s", strings.Join(wrong, "; "))
	}
	if err := tx.Commit(); err != nil {
		return nil, fmt.Errorf("committing the copy: %w", err)
	}
	return counts, nil
}

// mustBeEmpty refuses a target that holds anything: a copy into a desk
// in use would mix two desks' ticket numbers.
func (s *Store) mustBeEmpty(ctx context.Context) error {
	var full []string
	for _, t := range copyTables {
		var has bool
		if err := s.db.GetContext(ctx, &has, "SELECT EXISTS (SELECT 1 FROM "+t.name+")"); err != nil {
			return fmt.Errorf("looking into the target's %s: %w", t.name, err)
		}
		if has {
			full = append(full, t.name)
		}
	}
	if len(full) > 0 {
		return fmt.Errorf("the target database is not empty (%s hold rows): copy only into a new database", strings.Join(full, ", "))
	}
	return nil
}

// copyTable copies one table in batches and returns how many rows it
// wrote. Values are converted to the target's column types.
func copyTable(ctx context.Context, src, dst *sqlx.Tx, table, order string, merged *[][2]int64) (int64, error) {
	var cols []struct {
		Name string `db:"column_name"`
		Type string `db:"data_type"`
	}
	if err := dst.SelectContext(ctx, &cols, `SELECT column_name, data_type FROM information_schema.columns
		WHERE table_schema = current_schema() AND table_name = $1 ORDER BY ordinal_position`, table); err != nil {
		return 0, fmt.Errorf("reading the target's columns: %w", err)
	}
	names := make([]string, len(cols))
	for i, c := range cols {
		names[i] = c.Name
	}
	rows, err := src.QueryContext(ctx, fmt.Sprintf("SELECT %s FROM %s ORDER BY %s", strings.Join(names, ", "), table, order))
	if err != nil {
		return 0, fmt.Errorf("reading the source (is it at the same schema version?): %w", err)
	}
	defer rows.Close()

	var batch []any
	var inBatch, bytes, n int64
	flush := func() error {
		if inBatch == 0 {
			return nil
		}
		var q strings.Builder
		fmt.Fprintf(&q, "INSERT INTO %s (%s) VALUES ", table, strings.Join(names, ", "))
		for r := range inBatch {
			if r > 0 {
				q.WriteString(", ")
			}
			q.WriteByte('(')
			for c := range cols {
				if c > 0 {
					q.WriteString(", ")
				}
				fmt.Fprintf(&q, "$%d", int(r)*len(cols)+c+1)
			}
			q.WriteByte(')')
		}
		if _, err := dst.ExecContext(ctx, q.String(), batch...); err != nil {
			return err
		}
		n += inBatch
		batch, inBatch, bytes = batch[:0], 0, 0
		return nil
	}
	idCol := -1
	for i, c := range cols {
		if c.Name == "id" {
			idCol = i
		}
	}
	vals := make([]any, len(cols))
	ptrs := make([]any, len(cols))
	for i := range vals {
		ptrs[i] = &vals[i]
	}
	for rows.Next() {
		if err := rows.Scan(ptrs...); err != nil {
			return n, err
		}
		for i, c := range cols {
			v, err := convert(vals[i], c.Type)
			if err != nil {
				return n, fmt.Errorf("row %d, column %s: %w", n+inBatch+1, c.Name, err)
			}
			if table == "tickets" && c.Name == "merged_into" && v != nil {
				*merged = append(*merged, [2]int64{vals[idCol].(int64), v.(int64)})
				v = nil
			}
			switch b := v.(type) {
			case []byte:
				bytes += int64(len(b))
			case string:
				bytes += int64(len(b))
			}
			batch = append(batch, v)
		}
		inBatch++
		if inBatch == copyBatchRows || bytes >= copyBatchBytes {
			if err := flush(); err != nil {
				return n, err
			}
		}
	}
	if err := rows.Err(); err != nil {
		return n, err
	}
	return n, flush()
}

// convert turns a value as the source's driver gave it into one of the
// target column's type: SQLite hands back flags as integers, times as
// time.Time or text, and text sometimes as bytes.
func convert(v any, typ string) (any, error) {
	if v == nil {
		return nil, nil
	}
	switch typ {
	case "boolean":
		switch b := v.(type) {
		case bool:
			return b, nil
		case int64:
			return b != 0, nil
		}
	case "bigint", "integer":
		if i, ok := v.(int64); ok {
			return i, nil
		}
	case "bytea":
		switch b := v.(type) {
		case []byte:
			return b, nil
		case string:
			return []byte(b), nil
		}
	case "timestamp with time zone":
		switch t := v.(type) {
		case time.Time:
			return t.UTC(), nil
		case string:
			return parseSQLiteTime(t)
		case []byte:
			return parseSQLiteTime(string(t))
		}
	case "text":
		var s string
		switch t := v.(type) {
		case string:
			s = t
		case []byte:
			s = string(t)
		default:
			return nil, fmt.Errorf("%T where text was expected", v)
		}
		// PostgreSQL stores neither: say so rather than fail on the server.
		if !utf8.ValidString(s) || strings.IndexByte(s, 0) >= 0 {
			return nil, errors.New("text that is not UTF-8 or holds a NUL byte, which PostgreSQL cannot store")
		}
		return s, nil
	default:
		return v, nil
	}
	return nil, fmt.Errorf("%T where %s was expected", v, typ)
}

// continueSequences moves every sequence past the ids copied, so that
// the next ticket, message or outbox row does not take a copied id.
func continueSequences(ctx context.Context, tx *sqlx.Tx) error {
	var last sql.NullInt64
	for _, t := range copyTables {
		if t.order != "id" {
			continue
		}
		if err := tx.GetContext(ctx, &last, "SELECT MAX(id) FROM "+t.name); err != nil {
			return err
		}
		if !last.Valid {
			continue
		}
		seq := "ticket_number"
		if t.name != "tickets" {
			if err := tx.GetContext(ctx, &seq, "SELECT pg_get_serial_sequence($1, 'id')", t.name); err != nil {
				return fmt.Errorf("finding the sequence of %s: %w", t.name, err)
			}
		}
		if _, err := tx.ExecContext(ctx, "SELECT setval($1, $2)", seq, last.Int64); err != nil {
			return fmt.Errorf("moving %s past %d: %w", seq, last.Int64, err)
		}
	}
	return nil
}
