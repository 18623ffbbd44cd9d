package main

import (
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"strconv"
	"strings"

	"helpdesk/config"
	"helpdesk/desk"
)

// env is what every command gets: the context and the standard streams.
type env struct {
	ctx    context.Context
	stdin  io.Reader
	stdout io.Writer
	stderr io.Writer
}

// common holds the flags every command takes.
type common struct {
	config string
	json   bool
}

// flags returns a flag set with --config (and --json when withJSON).
func (e *env) flags(name string, withJSON bool) (*flag.FlagSet, *common) {
	fs := flag.NewFlagSet("helpdesk "+name, flag.ContinueOnError)
	fs.SetOutput(e.stderr)
	c := &common{}
	def := os.Getenv("HELPDESK_CONFIG")
	if def == "" {
		def = "helpdesk.toml"
	}
	fs.StringVar(&c.config, "config", def, "the configuration `file`")
	if withJSON {
		fs.BoolVar(&c.json, "json", false, "print JSON (the format is documented in the README)")
	}
	return fs, c
}

// parse parses flags, which may stand before or after the positional
// arguments (`tickets show 1042 --json`), and wraps mistakes as usage errors.
// The positional arguments are left in fs.Args().
func parse(fs *flag.FlagSet, args []string) error {
	var positional []string
	for {
		if err := fs.Parse(args); err != nil {
			if err == flag.ErrHelp {
				return usageError{"help shown"}
			}
			return usageError{err.Error()}
		}
		args = fs.Args()
		if len(args) == 0 {
			break
		}
		positional = append(positional, args[0])
		args = args[1:]
	}
	return fs.Parse(append([]string{"--"}, positional...))
}

func (e *env) loadConfig(path string) (*config.Config, error) {
	return config.Load(path)
}

// logger builds the log the config asks for, on stderr.
func (e *env) logger(cfg *config.Config) *slog.Logger {
	level := slog.LevelInfo
	switch strings.ToLower(cfg.Log.Level) {
	case "debug":
		level = slog.LevelDebug
	case "warn":
		level = slog.LevelWarn
	case "error":
		level = slog.LevelError
	}
	opts := &slog.HandlerOptions{Level: level}
	if strings.ToLower(cfg.Log.Format) == "json" {
		return slog.New(slog.NewJSONHandler(e.stderr, opts))
	}
	return slog.New(slog.NewTextHandler(e.stderr, opts))
}

// quietLogger logs only warnings and errors, for one-shot commands whose
// output is their result.
func (e *env) quietLogger(cfg *config.Config) *slog.Logger {
	opts := &slog.HandlerOptions{Level: slog.LevelWarn}
	if strings.ToLower(cfg.Log.Format) == "json" {
		return slog.New(slog.NewJSONHandler(e.stderr, opts))
	}
	return slog.New(slog.NewTextHandler(e.stderr, opts))
}

// open loads the config and opens the desk.
func (e *env) open(c *common, quiet bool) (*desk.Desk, error) {
	cfg, err := e.loadConfig(c.config)
	if err != nil {
		return nil, err
	}
	log := e.logger(cfg)
	if quiet {
		log = e.quietLogger(cfg)
	}
	return desk.Open(e.ctx, cfg, desk.Options{Logger: log})
}

func (e *env) printJSON(v any) error {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetIndent("", "  ")
	if err := enc.Encode(v); err != nil {
		return err
	}
	_, err := e.stdout.Write(jsonForTerminal(buf.Bytes()))
	return err
}

// ticketID reads "1042", "HD#1042" or "[HD#1042]".
func ticketID(s string) (int64, error) {
	t := strings.Trim(strings.TrimSpace(s), "[]")
	if i := strings.LastIndexByte(t, '#'); i >= 0 {
		t = t[i+1:]
	}
	id, err := strconv.ParseInt(t, 10, 64)
	if err != nil || id <= 0 {
		return 0, usageError{fmt.Sprintf("%q is not a ticket number (use 1042 or HD#1042)", s)}
	}
	return id, nil
}

// oneArg checks that exactly one positional argument is left.
func oneArg(fs *flag.FlagSet, what string) (string, error) {
	if fs.NArg() != 1 {
		return "", usageError{fmt.Sprintf("expected %s", what)}
	}
	return fs.Arg(0), nil
}
