package at

import (
	"errors"
	"fmt"
	"testing"

	"github.com/stretchr/testify/require"
)

func TestParseDeviceError(t *testing.T) {
	tests := []struct {
		line string
		want error // nil: not a device error
		msg  string
	}{
		{"+CME ERROR: 10", CMEError{10, "SIM not inserted"}, "+CME ERROR: 10 (SIM not inserted)"},
		{"+CME ERROR: 0", CMEError{0, "phone failure"}, "+CME ERROR: 0 (phone failure)"},
		{"+CME ERROR: 3", CMEError{3, "operation not allowed"}, "+CME ERROR: 3 (operation not allowed)"},
		{"+CME ERROR: 100", CMEError{100, "unknown"}, "+CME ERROR: 100 (unknown)"},
		{"+CME ERROR: 148", CMEError{148, "unspecified GPRS error"}, "+CME ERROR: 148 (unspecified GPRS error)"},
		{"+CME ERROR: 171", CMEError{171, "last PDN disconnection not allowed"}, "+CME ERROR: 171 (last PDN disconnection not allowed)"},
		{"+CME ERROR: 30", CMEError{30, "no network service"}, "+CME ERROR: 30 (no network service)"},
		{"+CME ERROR: 767", CMEError{767, "unknown error"}, "+CME ERROR: 767 (unknown error)"}, // Luat vendor code
		{"+CME ERROR: 99999999999999999999999", CMEError{-1, "99999999999999999999999"}, "+CME ERROR: 99999999999999999999999"},
		{"  +CME ERROR: 13\r\n", CMEError{13, "SIM failure"}, "+CME ERROR: 13 (SIM failure)"},
		{"+CME ERROR:13", CMEError{13, "SIM failure"}, "+CME ERROR: 13 (SIM failure)"},
		{"+CME ERROR 13", CMEError{13, "SIM failure"}, "+CME ERROR: 13 (SIM failure)"}, // SIM7000 manual spelling
		{"+cme error: 14", CMEError{14, "SIM busy"}, "+CME ERROR: 14 (SIM busy)"},
		{"+CME ERROR: 010", CMEError{10, "SIM not inserted"}, "+CME ERROR: 10 (SIM not inserted)"},

		// verbose mode (AT+CMEE=2)
		{"+CME ERROR: SIM not inserted", CMEError{10, "SIM not inserted"}, "+CME ERROR: 10 (SIM not inserted)"},
		{"+CME ERROR: sim NOT inserted", CMEError{10, "SIM not inserted"}, "+CME ERROR: 10 (SIM not inserted)"},
		{"+CME ERROR: SIM failure", CMEError{13, "SIM failure"}, "+CME ERROR: 13 (SIM failure)"},                             // vendors.md §2.2e
		{"+CME ERROR: operation not allowed", CMEError{3, "operation not allowed"}, "+CME ERROR: 3 (operation not allowed)"}, // vendors.md §2.2e
		{"+CME ERROR: Incorrect parameters", CMEError{50, "incorrect parameters"}, "+CME ERROR: 50 (incorrect parameters)"},
		{"+CME ERROR: network not allowed, emergency calls only", CMEError{32, "network not allowed - emergency calls only"}, "+CME ERROR: 32 (network not allowed - emergency calls only)"},
		{`+CME ERROR: "SIM PIN required"`, CMEError{11, "SIM PIN required"}, "+CME ERROR: 11 (SIM PIN required)"},
		{"+CME ERROR: PH-SIM PIN required", CMEError{5, "PH-SIM PIN required"}, "+CME ERROR: 5 (PH-SIM PIN required)"},
		{"+CME ERROR: Congestion", CMEError{122, "congestion"}, "+CME ERROR: 122 (congestion)"},
		{"+CME ERROR: Mandatory IE error", CMEError{173, "invalid mandatory information"}, "+CME ERROR: 173 (invalid mandatory information)"},
		{"+CME ERROR: Unknown PDN type", CMEError{128, "unknown PDP address or PDP type"}, "+CME ERROR: 128 (unknown PDP address or PDP type)"},
		{"+CME ERROR: unknown", CMEError{100, "unknown"}, "+CME ERROR: 100 (unknown)"},
		{"+CME ERROR: Operation failed", CMEError{-1, "Operation failed"}, "+CME ERROR: Operation failed"},
		{"+CME ERROR:", CMEError{-1, ""}, "+CME ERROR"},

		{"+CMS ERROR: 330", CMSError{330, "SMSC address unknown"}, "+CMS ERROR: 330 (SMSC address unknown)"},
		{"+CMS ERROR: 500", CMSError{500, "unknown error"}, "+CMS ERROR: 500 (unknown error)"},
		{"+CMS ERROR: 42", CMSError{42, "congestion"}, "+CMS ERROR: 42 (congestion)"},
		{"+CMS ERROR: 211", CMSError{211, "memory capacity exceeded"}, "+CMS ERROR: 211 (memory capacity exceeded)"},
		{"+CMS ERROR: 255", CMSError{255, "unspecified error cause"}, "+CMS ERROR: 255 (unspecified error cause)"},
		{"+CMS ERROR: 2", CMSError{2, "unknown error"}, "+CMS ERROR: 2 (unknown error)"},
		{"+CMS ERROR: 512", CMSError{512, "unknown error"}, "+CMS ERROR: 512 (unknown error)"},
		{"+CMS ERROR: SIM not inserted", CMSError{310, "(U)SIM not inserted"}, "+CMS ERROR: 310 ((U)SIM not inserted)"},
		{"+CMS ERROR: USIM PIN required", CMSError{311, "(U)SIM PIN required"}, "+CMS ERROR: 311 ((U)SIM PIN required)"},
		{"+CMS ERROR: PH-SIM PIN required", CMSError{312, "PH-(U)SIM PIN required"}, "+CMS ERROR: 312 (PH-(U)SIM PIN required)"},
		{"+CMS ERROR: memory full", CMSError{322, "memory full"}, "+CMS ERROR: 322 (memory full)"},
		{"+CMS ERROR: no +CNMA acknowledgement expected", CMSError{340, "no +CNMA acknowledgement expected"}, "+CMS ERROR: 340 (no +CNMA acknowledgement expected)"},

		// not device errors
		{"ERROR", nil, ""},
		{"OK", nil, ""},
		{"", nil, ""},
		{"+CME", nil, ""},
		{"+CME ERRORS: 10", nil, ""},
		{"+CME ERROR10", nil, ""},
		{"+CMEE: 2", nil, ""},
		{"+CMS: 10", nil, ""},
		{"TCP ERROR:3", nil, ""},
		{"ERR CODE:0x01090000", nil, ""},
		{"AT+CME ERROR: 10", nil, ""},
	}
	for _, tt := range tests {
		t.Run(tt.line, func(t *testing.T) {
			got, ok := ParseDeviceError(tt.line)
			if tt.want == nil {
				require.False(t, ok)
				require.Nil(t, got)
				return
			}
			require.True(t, ok)
			require.Equal(t, tt.want, got)
			require.EqualError(t, got, tt.msg)
		})
	}
}

func TestDeviceErrorIs(t *testing.T) {
	cme10, _ := ParseDeviceError("+CME ERROR: SIM not inserted")
	wrapped := fmt.Errorf("main.at:12:3: step failed: %w", cme10)
	verbose, _ := ParseDeviceError("+CME ERROR: Operation failed")
	cms, _ := ParseDeviceError("+CMS ERROR: 330")

	tests := []struct {
		name   string
		err    error
		target error
		want   bool
	}{
		{"same code", wrapped, CMEError{Code: 10}, true},
		{"same code pointer", wrapped, &CMEError{Code: 10}, true},
		{"other code", wrapped, CMEError{Code: 11}, false},
		{"cms target", wrapped, CMSError{Code: 10}, false},
		{"nil pointer target", wrapped, (*CMEError)(nil), false},
		{"verbose text", verbose, CMEError{Code: -1, Text: "operation FAILED"}, true},
		{"verbose other text", verbose, CMEError{Code: -1, Text: "operation not allowed"}, false},
		{"cms code", cms, CMSError{Code: 330}, true},
		{"cms other", cms, CMSError{Code: 331}, false},
		{"cms vs cme", cms, CMEError{Code: 330}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			require.Equal(t, tt.want, errors.Is(tt.err, tt.target))
		})
	}

	var got CMEError
	require.True(t, errors.As(wrapped, &got))
	require.Equal(t, CMEError{10, "SIM not inserted"}, got)
}

func TestTextLookups(t *testing.T) {
	require.Equal(t, "SIM PUK required", CMEText(12))
	require.Equal(t, "unknown error", CMEText(8))
	require.Equal(t, "unknown error", CMEText(-3))
	require.Equal(t, "network timeout", CMSText(332))
	require.Equal(t, "unknown error", CMSText(0))

	for _, tt := range []struct {
		text string
		code int
		ok   bool
	}{
		{"SIM PUK2 required", 18, true},
		{"  invalid   INDEX ", 21, true},
		{"congestion", 122, true}, // lowest of 122 and 157
		{"network failure", 158, true},
		{"message type non-existent or not implemented", 174, true},
		{"information element non-existent or not implemented", 209, true},
		{"no such text", 0, false},
		{"", 0, false},
		{"---", 0, false},
	} {
		code, ok := CMECode(tt.text)
		require.Equal(t, tt.ok, ok, tt.text)
		require.Equal(t, tt.code, code, tt.text)
	}
	code, ok := CMSCode("(U)SIM busy")
	require.True(t, ok)
	require.Equal(t, 314, code)
}

// The tables must be ascending with unique codes: reverse lookup relies on
// the order, and a duplicate would make one text unreachable.
func TestTablesOrdered(t *testing.T) {
	for name, tab := range map[string]*table{"cme": &cmeTable, "cms": &cmsTable} {
		prev := -1
		for _, e := range tab.entries {
			require.Greater(t, e.code, prev, "%s table at code %d", name, e.code)
			require.NotEmpty(t, e.text)
			prev = e.code
		}
		for _, a := range tab.aliases {
			require.NotEqual(t, "unknown error", lookup(tab, a.code), "%s alias %q", name, a.text)
			_, canonical := func() (int, bool) {
				want := normalize(a.text)
				for _, e := range tab.entries {
					if normalize(e.text) == want {
						return e.code, true
					}
				}
				return 0, false
			}()
			require.False(t, canonical, "%s alias %q shadows a table text", name, a.text)
		}
	}
}
