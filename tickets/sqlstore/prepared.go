package sqlstore

import (
	"context"
	"fmt"
	"reflect"
	"regexp"

	"github.com/jmoiron/sqlx"
	"github.com/jmoiron/sqlx/reflectx"
)

// prepared holds the queries of queries.sql, each prepared once when the
// store opens, so that broken SQL fails at boot and no call pays for
// parsing and planning its statement again. database/sql prepares a
// statement on a connection the first time it runs there and keeps it for
// the life of that connection; a transaction borrows its connection's
// (queries.stmt).
type prepared struct {
	plain  map[string]*sqlx.Stmt
	named  map[string]*sqlx.NamedStmt // the queries with :name parameters
	mapper *reflectx.Mapper           // field names to columns, for bindNamed
	// readsEvents names the queries that read the events table: a
	// transaction writes the events it holds back (see AddEvent) before
	// it runs one of them. Only SQLite's transactions hold events back.
	readsEvents map[string]bool
	batchEvents bool
}

// namedParam finds a :name parameter (sqlx.Named); a query with none takes
// positional ones.
var namedParam = regexp.MustCompile(`(?:^|[^:\w]):[a-z_]+`)

// eventsTable finds the events table in a query.
var eventsTable = regexp.MustCompile(`(?i)\bevents\b`)

func (p *prepared) prepare(ctx context.Context, db *sqlx.DB, q map[string]string) error {
	p.plain, p.named, p.mapper = map[string]*sqlx.Stmt{}, map[string]*sqlx.NamedStmt{}, db.Mapper
	p.readsEvents = map[string]bool{}
	p.batchEvents = db.DriverName() == "sqlite3"
	for name, text := range q {
		if name != "insert-event" && eventsTable.MatchString(text) {
			p.readsEvents[name] = true
		}
	}
	for name, text := range q {
		var err error
		if namedParam.MatchString(text) {
			p.named[name], err = db.PrepareNamedContext(ctx, text)
		} else {
			p.plain[name], err = db.PreparexContext(ctx, text)
		}
		if err != nil {
			p.close()
			return fmt.Errorf("checking query %s: %w", name, err)
		}
	}
	return nil
}

func (p *prepared) close() {
	for _, st := range p.plain {
		if st != nil {
			st.Close()
		}
	}
	for _, st := range p.named {
		if st != nil {
			st.Close()
		}
	}
}

// stmt is the prepared statement of query name, in q's transaction when
// there is one. A transaction keeps what it borrowed for its next calls.
func (q *queries) stmt(ctx context.Context, name string) (*sqlx.Stmt, error) {
	st, ok := q.p.plain[name]
	if !ok {
		return nil, fmt.Errorf("%s: no such query with positional parameters", name)
	}
	if q.tx == nil {
		return st, nil
	}
	if in, ok := q.borrowed[name]; ok {
		return in, nil
	}
	in := q.tx.StmtxContext(ctx, st)
	if q.borrowed == nil {
		q.borrowed = map[string]*sqlx.Stmt{}
	}
	q.borrowed[name] = in
	return in, nil
}

// namedStmt is stmt for a query with :name parameters.
func (q *queries) namedStmt(ctx context.Context, name string) (*sqlx.NamedStmt, error) {
	st, ok := q.p.named[name]
	if !ok {
		return nil, fmt.Errorf("%s: no such query with named parameters", name)
	}
	if q.tx == nil {
		return st, nil
	}
	if in, ok := q.borrowedNamed[name]; ok {
		return in, nil
	}
	in := q.tx.NamedStmtContext(ctx, st)
	if q.borrowedNamed == nil {
		q.borrowedNamed = map[string]*sqlx.NamedStmt{}
	}
	q.borrowedNamed[name] = in
	return in, nil
}

// uninterrupted is ctx without its end, for running one statement.
// mattn/go-sqlite3 runs a statement whose context can end on a goroutine
// of its own, so as to interrupt it: a switch of threads for every
// statement, most of the cost of a short one. The statements here are
// short, and a transaction still stops at its next statement once its
// context ends (database/sql rolls it back).
func uninterrupted(ctx context.Context) context.Context {
	if ctx.Done() == nil {
		return ctx
	}
	return context.WithoutCancel(ctx)
}

// bindNamed binds the fields of row, a struct or a pointer to one, to the
// parameters of query name as it was compiled when prepared: what
// sqlx.Named does, without parsing the query again on every call (it ran
// for every message and ticket stored). ok is false for a query not
// prepared with :name parameters or a row that is not a struct.
func (q *queries) bindNamed(name string, row any) (query string, args []any, ok bool, err error) {
	ns := q.p.named[name]
	v := reflect.ValueOf(row)
	for v.Kind() == reflect.Pointer && !v.IsNil() {
		v = v.Elem()
	}
	if ns == nil || q.p.mapper == nil || v.Kind() != reflect.Struct {
		return "", nil, false, nil
	}
	args = make([]any, len(ns.Params))
	for i, path := range q.p.mapper.TraversalsByName(v.Type(), ns.Params) {
		if len(path) == 0 {
			return "", nil, true, fmt.Errorf("%s: no field of %s for :%s", name, v.Type(), ns.Params[i])
		}
		args[i] = reflectx.FieldByIndexesReadOnly(v, path).Interface()
	}
	return ns.QueryString, args, true, nil
}
