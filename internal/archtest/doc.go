// Package archtest holds the test that keeps the import rules of the
// architecture: dependencies point inward, to the domain (tickets and the
// packages under it), which imports nothing of ours from outside it; config
// translates the TOML file into domain types and so may import them, but
// the domain never imports config; mailin and mailout know neither tickets
// nor SQL; templates know no SQL. The rules are the table in arch_test.go.
// It also keeps merge conflict markers out of every file users read.
package archtest
