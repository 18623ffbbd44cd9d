package main

import (
	"time"

	"helpdesk/desk"
)

func (e *env) cmdRun(args []string) error {
	fs, c := e.flags("run", false)
	grace := fs.Duration("grace", 10*time.Second, "how long work in flight may finish after a stop signal")
	if err := parse(fs, args); err != nil {
		return err
	}
	d, err := e.open(c, false)
	if err != nil {
		return err
	}
	defer d.Close()
	return d.Run(e.ctx, desk.RunOptions{Grace: *grace})
}

func (e *env) cmdDemo(args []string) error {
	return usageError{"demo is not built yet"}
}
