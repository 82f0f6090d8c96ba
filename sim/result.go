package sim

import (
	"errors"
	"fmt"
	"strconv"
)

// Sentinel results a Handler may return; see Handler.
var (
	// Done means the handler wrote its final line itself, or none is due
	// (AT+CIFSR answers with the bare address and no OK).
	//lint:ignore ST1012 a result a handler returns, not a failure
	Done = errors.New("sim: final result written by handler")
	// Pending means the final result comes later, through Session.Finish.
	// The session reads no further commands until then.
	//lint:ignore ST1012 a result a handler returns, not a failure
	Pending = errors.New("sim: final result pending")
	// ErrError is the plain "ERROR" final result.
	ErrError = errors.New("ERROR")
)

// CMEError is a "+CME ERROR: <n>" final result (3GPP TS 27.007 9.2).
type CMEError int

func (e CMEError) Error() string { return "+CME ERROR: " + strconv.Itoa(int(e)) }

// CMSError is a "+CMS ERROR: <n>" final result (3GPP TS 27.005 3.2.5).
type CMSError int

func (e CMSError) Error() string { return "+CMS ERROR: " + strconv.Itoa(int(e)) }

// Final is a vendor-specific final line such as "SEND FAIL" or "SHUT OK".
type Final string

func (f Final) Error() string { return string(f) }

// Common +CME ERROR codes (3GPP TS 27.007 9.2.1).
const (
	CMEPhoneFailure    CMEError = 0
	CMENotAllowed      CMEError = 3
	CMENotSupported    CMEError = 4
	CMESIMNotInserted  CMEError = 10
	CMESIMPINRequired  CMEError = 11
	CMESIMFailure      CMEError = 13
	CMESIMBusy         CMEError = 14
	CMEInvalidIndex    CMEError = 21
	CMENoNetwork       CMEError = 30
	CMENetworkTimeout  CMEError = 31
	CMEIncorrectParams CMEError = 50
	CMEUnknown         CMEError = 100
	CMEOperationFailed CMEError = 767
)

// cmeTexts are the verbose texts of AT+CMEE=2 (27.007 9.2.1, lower case as
// SIMCom and u-blox print them).
var cmeTexts = map[int]string{
	0:   "phone failure",
	3:   "operation not allowed",
	4:   "operation not supported",
	10:  "SIM not inserted",
	11:  "SIM PIN required",
	13:  "SIM failure",
	14:  "SIM busy",
	21:  "invalid index",
	30:  "no network service",
	31:  "network timeout",
	50:  "incorrect parameters",
	100: "unknown",
	767: "operation failed",
}

// finalLine renders a handler result as the final line, or "" for none.
func (s *Session) finalLine(err error) string {
	var cme CMEError
	var cms CMSError
	var fin Final
	switch {
	case err == nil:
		return "OK"
	case errors.Is(err, Done), errors.Is(err, Pending):
		return ""
	case errors.As(err, &fin):
		return string(fin)
	case errors.As(err, &cme):
		return s.formatCode("+CME ERROR: ", int(cme))
	case errors.As(err, &cms):
		return s.formatCode("+CMS ERROR: ", int(cms))
	default:
		return "ERROR"
	}
}

func (s *Session) formatCode(prefix string, n int) string {
	switch s.cmee {
	case 0:
		return "ERROR"
	case 2:
		if t, ok := s.profile.CMETexts[n]; ok {
			return prefix + t
		}
		if t, ok := cmeTexts[n]; ok && prefix == "+CME ERROR: " {
			return prefix + t
		}
	}
	return fmt.Sprintf("%s%d", prefix, n)
}
