package doctor

import (
	"fmt"
	"io"
	"strings"
)

// Link names one link of the chain from an APIService to its backend.
type Link string

// The links, in the order they are checked.
const (
	LinkAPIService Link = "apiservice"
	LinkService    Link = "service"
	LinkEndpoints  Link = "endpoints"
	LinkTLS        Link = "tls"
	LinkAggregator Link = "aggregator"
	LinkDiscovery  Link = "discovery"
	LinkIdentity   Link = "identity"
)

// Links lists every link in checking order; a new slice each call, so that
// no caller can change another's.
func Links() []Link {
	return []Link{LinkAPIService, LinkService, LinkEndpoints, LinkTLS, LinkAggregator, LinkDiscovery, LinkIdentity}
}

// Status is the outcome of checking one link.
type Status string

// Outcomes of a check.
const (
	StatusOK   Status = "ok"
	StatusFail Status = "FAIL"
	// StatusSkip means the link was not checked: an earlier link is broken,
	// or doctor cannot see it from where it runs.
	StatusSkip Status = "skip"
)

// Check is the outcome of one link of one APIService.
type Check struct {
	Link   Link
	Status Status
	// Message says what was checked and what was found.
	Message string
	// Fix says what to change, set when Status is StatusFail.
	Fix string
}

// APIServiceReport is the walk of one APIService's chain.
type APIServiceReport struct {
	Name   string
	Checks []Check
	// Traffic is read from the aggregator's /metrics; nil when they could
	// not be read.
	Traffic *Traffic
}

// Broken is the first failed check, or nil when nothing failed.
func (r APIServiceReport) Broken() *Check {
	for i := range r.Checks {
		if r.Checks[i].Status == StatusFail {
			return &r.Checks[i]
		}
	}
	return nil
}

// Check returns the check of link, or nil when the walk did not get there.
func (r APIServiceReport) Check(link Link) *Check {
	for i := range r.Checks {
		if r.Checks[i].Link == link {
			return &r.Checks[i]
		}
	}
	return nil
}

// Report is the outcome of a doctor run.
type Report struct {
	APIServices []APIServiceReport
}

// OK reports whether no link of any APIService failed.
func (r Report) OK() bool {
	return len(r.Broken()) == 0
}

// Broken lists the APIServices with a failed link.
func (r Report) Broken() []APIServiceReport {
	var broken []APIServiceReport
	for _, a := range r.APIServices {
		if a.Broken() != nil {
			broken = append(broken, a)
		}
	}
	return broken
}

// Summary is the one line that ends the output.
func (r Report) Summary() string {
	broken := r.Broken()
	if len(broken) == 0 {
		return fmt.Sprintf("%s checked, all ok", plural(len(r.APIServices), "APIService"))
	}
	parts := make([]string, len(broken))
	for i, a := range broken {
		parts[i] = fmt.Sprintf("%s (%s)", a.Name, a.Broken().Link)
	}
	return fmt.Sprintf("%s checked, %d broken: %s", plural(len(r.APIServices), "APIService"), len(broken), strings.Join(parts, ", "))
}

// printHeader starts an APIService's section of the output.
func printHeader(out io.Writer, name string) {
	fmt.Fprintf(out, "APIService %s\n", name)
}

// printCheck writes one check: status, link and message, then the fix
// indented below it. Multi-line texts keep their lines, indented.
func printCheck(out io.Writer, c Check) {
	const indent = "                  "
	fmt.Fprintf(out, "  %-4s  %-10s  %s\n", c.Status, c.Link, indentLines(c.Message, indent))
	if c.Fix != "" {
		fmt.Fprintf(out, "%sfix: %s\n", indent, indentLines(c.Fix, indent+"     "))
	}
}

func indentLines(text, indent string) string {
	return strings.ReplaceAll(strings.TrimRight(text, "\n"), "\n", "\n"+indent)
}

func plural(n int, noun string) string {
	if n == 1 {
		return "1 " + noun
	}
	return fmt.Sprintf("%d %ss", n, noun)
}
