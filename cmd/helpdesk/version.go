package main

import (
	"fmt"
	"runtime/debug"
)

// version is the release, set at build time with
// -ldflags "-X main.version=1.4.0"; without it, the module's version or
// the commit the binary was built from is printed.
var version = ""

// cmdVersion prints the release, the commit and the Go version the binary
// was built with.
func (e *env) cmdVersion(args []string) error {
	fs, _ := e.flags("version", false) // --config is accepted, as by every command, and unused
	if err := parse(fs, args); err != nil {
		return err
	}
	if fs.NArg() != 0 {
		return usageError{"version takes no arguments"}
	}
	fmt.Fprintln(e.stdout, "helpdesk "+versionString())
	return nil
}

func versionString() string {
	info, ok := debug.ReadBuildInfo()
	if !ok {
		if version == "" {
			return "(unknown)"
		}
		return version
	}
	v := version
	if v == "" {
		v = info.Main.Version // "(devel)" for a build from a checkout
	}
	var rev, at, dirty string
	for _, s := range info.Settings {
		switch s.Key {
		case "vcs.revision":
			rev = s.Value
		case "vcs.time":
			at = s.Value
		case "vcs.modified":
			if s.Value == "true" {
				dirty = "+changes"
			}
		}
	}
	if len(rev) > 12 {
		rev = rev[:12]
	}
	out := v
	if rev != "" {
		out += fmt.Sprintf(" commit %s%s", rev, dirty)
		if at != "" {
			out += " of " + at
		}
	}
	return out + ", " + info.GoVersion
}
