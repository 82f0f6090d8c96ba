package report

import (
	"encoding/xml"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"
	"unicode"
)

type junitSuites struct {
	XMLName  xml.Name     `xml:"testsuites"`
	Name     string       `xml:"name,attr"`
	Tests    int          `xml:"tests,attr"`
	Failures int          `xml:"failures,attr"`
	Errors   int          `xml:"errors,attr"`
	Time     string       `xml:"time,attr"`
	Suites   []junitSuite `xml:"testsuite"`
}

type junitSuite struct {
	Name      string      `xml:"name,attr"`
	Tests     int         `xml:"tests,attr"`
	Failures  int         `xml:"failures,attr"`
	Errors    int         `xml:"errors,attr"`
	Skipped   int         `xml:"skipped,attr"`
	Time      string      `xml:"time,attr"`
	Timestamp string      `xml:"timestamp,attr,omitempty"`
	Cases     []junitCase `xml:"testcase"`
}

type junitCase struct {
	Classname string        `xml:"classname,attr"`
	Name      string        `xml:"name,attr"`
	Time      string        `xml:"time,attr"`
	Failure   *junitFailure `xml:"failure,omitempty"`
	SystemOut string        `xml:"system-out,omitempty"`
}

type junitFailure struct {
	Message string `xml:"message,attr"`
	Type    string `xml:"type,attr"`
	Text    string `xml:",chardata"`
}

// WriteJUnit writes recs as one JUnit test suite: one test case per
// record, classname the script, name the port, with "#N" (the run number)
// added when a script ran more than once on a port. A failed run has a
// <failure> whose type is the failure kind and whose text ends with the
// last lines received; emitted values go to <system-out>, one
// "name=value" per line.
func WriteJUnit(w io.Writer, suite string, recs []Record) error {
	type key struct{ script, port string }
	count := map[key]int{}
	for _, r := range recs {
		count[key{r.Script, r.Port}]++
	}
	s := junitSuite{Name: suite, Tests: len(recs)}
	var total time.Duration
	var first time.Time
	for _, r := range recs {
		name := r.Port
		if name == "" {
			name = "(no port)"
		}
		if count[key{r.Script, r.Port}] > 1 || r.Run > 1 {
			name += "#" + strconv.Itoa(r.Run)
		}
		d := time.Duration(r.DurationMS * float64(time.Millisecond))
		total += d
		if !r.Start.IsZero() && (first.IsZero() || r.Start.Before(first)) {
			first = r.Start
		}
		c := junitCase{Classname: r.Script, Name: name, Time: seconds(d)}
		if r.Status != Pass {
			s.Failures++
			c.Failure = junitFailureOf(r.Failure)
		}
		var out strings.Builder
		for _, v := range r.Emitted {
			out.WriteString(printable(v.String()))
			out.WriteByte('\n')
		}
		c.SystemOut = out.String()
		s.Cases = append(s.Cases, c)
	}
	s.Time = seconds(total)
	if !first.IsZero() {
		s.Timestamp = first.Format("2006-01-02T15:04:05")
	}
	doc := junitSuites{Name: suite, Tests: s.Tests, Failures: s.Failures, Time: s.Time, Suites: []junitSuite{s}}
	if _, err := io.WriteString(w, xml.Header); err != nil {
		return err
	}
	enc := xml.NewEncoder(w)
	enc.Indent("", "  ")
	if err := enc.Encode(doc); err != nil {
		return err
	}
	_, err := io.WriteString(w, "\n")
	return err
}

func junitFailureOf(f *Failure) *junitFailure {
	if f == nil {
		return &junitFailure{Message: "failed", Type: "fail"}
	}
	var text strings.Builder
	text.WriteString(printable(f.String()))
	text.WriteByte('\n')
	if len(f.Last) > 0 {
		text.WriteString("last received:\n")
		for _, l := range f.Last {
			fmt.Fprintf(&text, "  %s\n", printable(l))
		}
	}
	return &junitFailure{Message: printable(f.String()), Type: f.Kind, Text: text.String()}
}

// printable quotes s when it holds characters XML cannot carry or a
// reader cannot see, so that modem bytes survive into the report.
func printable(s string) string {
	for _, r := range s {
		if !unicode.IsPrint(r) && r != '\t' {
			return strconv.Quote(s)
		}
	}
	return s
}

// seconds formats d to the millisecond, rounding half away from zero.
func seconds(d time.Duration) string {
	ms := max(d.Round(time.Millisecond).Milliseconds(), 0)
	return fmt.Sprintf("%d.%03d", ms/1000, ms%1000)
}
