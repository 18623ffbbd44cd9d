package config

import (
	"fmt"
	"reflect"
	"strings"
	"testing"

	"helpdesk/tickets"
)

func TestContactsBecomeTheDomainsContacts(t *testing.T) {
	c := mustParse(t, minimum+"\n[[contact]]\nname = \"acme\"\nemail = \"Support@Acme.example\"\n[sla]\npause_on_vendor = true\n")
	if got, want := c.TicketContacts(), []tickets.Contact{{Name: "acme", Email: "support@acme.example"}}; !reflect.DeepEqual(got, want) {
		t.Errorf("TicketContacts() = %+v, want %+v", got, want)
	}
	if !c.SLAPolicy().PauseOnVendor {
		t.Error("sla.pause_on_vendor = true did not reach the SLA policy")
	}
	if mustParse(t, minimum).SLAPolicy().PauseOnVendor {
		t.Error("the clocks pause on a vendor by default, want them to run")
	}
}

func TestContactProblemsNameTheFileLineAndKey(t *testing.T) {
	agent := "[[agent]]\nname = \"Ann\"\nemail = \"ann@example.com\"\n"
	// line is the line of the snippet the problem names: its key's, or
	// its table's when the key is missing.
	for _, tc := range []struct {
		name, toml string
		line       int
		want       string
	}{
		{"contact without name", "[[contact]]\nemail = \"s@acme.example\"\n", 1, "contact[0].name: required"},
		{"contact without email", "[[contact]]\nname = \"acme\"\n", 1, "contact[0].email: required"},
		{"a name of two words", "[[contact]]\nname = \"acme corp\"\nemail = \"s@acme.example\"\n", 2, `contact[0].name: "acme corp" must be one word`},
		{"a name that is a queue", "[[contact]]\nname = \"General\"\nemail = \"s@acme.example\"\n", 2, `contact[0].name: "General" is a queue's name`},
		{"the name manager", "[[contact]]\nname = \"manager\"\nemail = \"s@acme.example\"\n", 2, `contact[0].name: "manager" is taken`},
		{"two contacts with one name", "[[contact]]\nname = \"acme\"\nemail = \"s@acme.example\"\n[[contact]]\nname = \"ACME\"\nemail = \"t@acme.example\"\n", 5,
			`contact[1].name: "ACME" is already the name of contact[0]`},
		{"an email that is no address", "[[contact]]\nname = \"acme\"\nemail = \"Acme <s@acme.example>\"\n", 3, `contact[0].email: "Acme <s@acme.example>" is not a plain address`},
		{"the desk's own address", "[[contact]]\nname = \"acme\"\nemail = \"support@example.com\"\n", 3, `contact[0].email: "support@example.com" is an address of the desk itself`},
		{"an agent's address", agent + "[[contact]]\nname = \"acme\"\nemail = \"ANN@example.com\"\n", 6, `contact[0].email: "ANN@example.com" is an agent's address`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			msg := parseErr(t, minimum+"\n"+tc.toml)
			line := strings.Count(minimum+"\n", "\n") + tc.line
			if want := fmt.Sprintf("helpdesk.toml:%d: %s", line, tc.want); !strings.HasPrefix(msg, want) || strings.Count(msg, "\n") != 0 {
				t.Errorf("error = %q, want one problem starting %q", msg, want)
			}
		})
	}
}
