package report

import (
	"bytes"
	"encoding/xml"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// Parsed JUnit, read back with encoding/xml independently of the writer's
// own types.
type xSuites struct {
	XMLName  xml.Name `xml:"testsuites"`
	Tests    int      `xml:"tests,attr"`
	Failures int      `xml:"failures,attr"`
	Suites   []struct {
		Name     string `xml:"name,attr"`
		Tests    int    `xml:"tests,attr"`
		Failures int    `xml:"failures,attr"`
		Time     string `xml:"time,attr"`
		Cases    []struct {
			Classname string `xml:"classname,attr"`
			Name      string `xml:"name,attr"`
			Time      string `xml:"time,attr"`
			Failure   *struct {
				Message string `xml:"message,attr"`
				Type    string `xml:"type,attr"`
				Text    string `xml:",chardata"`
			} `xml:"failure"`
			SystemOut string `xml:"system-out"`
		} `xml:"testcase"`
	} `xml:"testsuite"`
}

func stationRecords() []Record {
	var recs []Record
	for i := range 8 {
		r := Record{
			Script: "scripts/sim7000/info.at", Port: "/dev/ttyUSB" + string(rune('0'+i)), Run: 1,
			Start: t0, End: t0.Add(1250 * time.Millisecond), DurationMS: 1250, Status: Pass,
			Emitted: []Value{{Name: "imei", Value: "86642503445813" + string(rune('0'+i))}},
		}
		switch i {
		case 3:
			r.Status = Fail
			r.Failure = &Failure{Pos: "scripts/common/ready.at:7:1", Step: `send "AT+CPIN?" expect "+CPIN: READY"`, Kind: "modem",
				Message: "modem answered +CME ERROR: 10 (SIM not inserted)", Last: []string{"OK", "+CME ERROR: 10", "\x1b[0m<&>"}}
		case 6:
			r.Status = Fail
			r.Failure = &Failure{Pos: "scripts/sim7000/info.at:4:1", Step: `send "AT+CGSN"`, Kind: "transport", Message: "port unplugged"}
			r.Emitted = append(r.Emitted, Value{Name: "raw", Value: "00ff", Encoding: "hex"})
		}
		recs = append(recs, r)
	}
	return recs
}

func TestJUnitStation(t *testing.T) {
	var buf bytes.Buffer
	require.NoError(t, WriteJUnit(&buf, "atrun info.at", stationRecords()))
	assert.True(t, strings.HasPrefix(buf.String(), `<?xml version="1.0" encoding="UTF-8"?>`+"\n<testsuites"), buf.String())

	var doc xSuites
	require.NoError(t, xml.Unmarshal(buf.Bytes(), &doc), buf.String())
	assert.Equal(t, 8, doc.Tests)
	assert.Equal(t, 2, doc.Failures)
	require.Len(t, doc.Suites, 1)
	s := doc.Suites[0]
	assert.Equal(t, "atrun info.at", s.Name)
	assert.Equal(t, 8, s.Tests)
	assert.Equal(t, 2, s.Failures)
	assert.Equal(t, "10.000", s.Time)
	require.Len(t, s.Cases, 8)
	for i, c := range s.Cases {
		assert.Equal(t, "scripts/sim7000/info.at", c.Classname)
		assert.Equal(t, "/dev/ttyUSB"+string(rune('0'+i)), c.Name)
		assert.Equal(t, "1.250", c.Time)
		assert.Equal(t, i == 3 || i == 6, c.Failure != nil, "case %d", i)
	}
	f := s.Cases[3].Failure
	assert.Equal(t, `scripts/common/ready.at:7:1: send "AT+CPIN?" expect "+CPIN: READY": modem answered +CME ERROR: 10 (SIM not inserted)`, f.Message)
	assert.Equal(t, "modem", f.Type)
	assert.Equal(t, f.Message+"\nlast received:\n  OK\n  +CME ERROR: 10\n  \"\\x1b[0m<&>\"\n", f.Text)
	assert.Equal(t, "transport", s.Cases[6].Failure.Type)
	assert.Equal(t, "imei=866425034458136\nraw=hex:00ff\n", s.Cases[6].SystemOut)
	assert.Equal(t, "imei=866425034458130\n", s.Cases[0].SystemOut)
}

func TestJUnitExact(t *testing.T) {
	recs := []Record{
		{Script: "a.at", Port: "/dev/ttyUSB0", Run: 1, Start: t0, DurationMS: 20.5, Status: Pass},
		{Script: "a.at", Port: "/dev/ttyUSB0", Run: 2, Start: t0, DurationMS: 1000, Status: Fail,
			Failure: &Failure{Kind: "fail", Message: `bad "x"`}},
		{Script: "a.at", Port: "/dev/ttyUSB1", Run: 1, Start: t0.Add(-time.Hour), DurationMS: 3, Status: Pass,
			Emitted: []Value{{Name: "ip", Value: "10.0.0.2"}}},
		{Script: "b.at", Port: "", Run: 1, Start: t0, DurationMS: 1, Status: Pass},
	}
	var buf bytes.Buffer
	require.NoError(t, WriteJUnit(&buf, "burn-in", recs))
	assert.Equal(t, `<?xml version="1.0" encoding="UTF-8"?>
<testsuites name="burn-in" tests="4" failures="1" errors="0" time="1.025">
  <testsuite name="burn-in" tests="4" failures="1" errors="0" skipped="0" time="1.025" timestamp="2025-03-14T08:26:53">
    <testcase classname="a.at" name="/dev/ttyUSB0#1" time="0.021"></testcase>
    <testcase classname="a.at" name="/dev/ttyUSB0#2" time="1.000">
      <failure message="bad &#34;x&#34;" type="fail">bad &#34;x&#34;&#xA;</failure>
    </testcase>
    <testcase classname="a.at" name="/dev/ttyUSB1" time="0.003">
      <system-out>ip=10.0.0.2&#xA;</system-out>
    </testcase>
    <testcase classname="b.at" name="(no port)" time="0.001"></testcase>
  </testsuite>
</testsuites>
`, buf.String())
}

func TestJUnitEmpty(t *testing.T) {
	var buf bytes.Buffer
	require.NoError(t, WriteJUnit(&buf, "none", nil))
	var doc xSuites
	require.NoError(t, xml.Unmarshal(buf.Bytes(), &doc))
	assert.Equal(t, 0, doc.Tests)
	require.Len(t, doc.Suites, 1)
	assert.Empty(t, doc.Suites[0].Cases)
}
