// Package faults is the fault suite: it breaks the desk's surroundings on
// purpose, many times, and counts what was lost or doubled. Its tests are
// built only with -tags faults; they run the real `helpdesk` binary against
// a real Dovecot and a real SMTP server, each scenario bounded in time.
//
//	go test -tags faults -count=1 -v ./bench/faults/            # short form
//	FAULTS_LONG=1 go test -tags faults -count=1 -v -timeout 60m ./bench/faults/
package faults
