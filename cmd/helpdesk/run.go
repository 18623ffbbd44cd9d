package main

func (e *env) cmdRun(args []string) error {
	return usageError{"run is not built yet"}
}

func (e *env) cmdDemo(args []string) error {
	return usageError{"demo is not built yet"}
}
