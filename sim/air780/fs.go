package air780

import (
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/atrun/atrun/sim"
)

// idle scales an input timeout like the other modelled delays, except
// at TimeScale 0, where it stays real so that a host can type.
func idle(s *sim.Session, d time.Duration) time.Duration {
	if s.Options().TimeScale > 0 {
		return s.Scale(d)
	}
	return d
}

// fileName checks argument i as a file name (quotes optional, at most 64
// bytes).
func fileName(c *sim.Command, i int) (string, bool) {
	n := c.Arg(i)
	return n, n != "" && len(n) <= maxName
}

// cmdFSCREATE: AT+FSCREATE=<file> creates an empty file (an existing one
// is emptied: assumption).
func cmdFSCREATE(s *sim.Session, c *sim.Command) error {
	switch c.Kind {
	case sim.Test:
		return nil
	case sim.Exec:
	default:
		return sim.ErrError
	}
	name, ok := fileName(c, 0)
	if !ok || c.NArg() != 1 {
		return sim.ErrError
	}
	stateOf(s).files[name] = []byte{}
	return nil
}

// cmdFSWRITE: AT+FSWRITE=<file>,<mode 0 from the start|1 append>,
// <filesize>,<inputtime s>; ">" prompt, exactly filesize bytes, OK; after
// inputtime without all of them, TimeOut. The file must exist (FSCREATE;
// assumption).
func cmdFSWRITE(s *sim.Session, c *sim.Command) error {
	switch c.Kind {
	case sim.Test:
		return nil
	case sim.Exec:
	default:
		return sim.ErrError
	}
	name, ok := fileName(c, 0)
	mode, err1 := c.IntIn(1, 0, 1)
	size, err2 := c.IntIn(2, 1, maxFile)
	wait, err3 := strconv.ParseUint(c.Arg(3), 10, 32)
	if !ok || c.NArg() != 4 || err1 != nil || err2 != nil || err3 != nil || wait < 1 {
		return sim.ErrError
	}
	st := stateOf(s)
	if _, ok := st.files[name]; !ok {
		return sim.ErrError
	}
	req := sim.DataEntry{Prompt: st.prompt(), Len: size, Idle: idle(s, time.Duration(wait)*time.Second)}
	return s.ReadData(req, func(b []byte, err error) error {
		if errors.Is(err, sim.ErrIdle) {
			return sim.Final("TimeOut")
		}
		if err != nil {
			return sim.ErrError
		}
		if mode == 1 {
			b = append(slices.Clip(st.files[name]), b...)
		}
		st.files[name] = b
		return nil
	})
}

// cmdFSDEL: AT+FSDEL=<file>.
func cmdFSDEL(s *sim.Session, c *sim.Command) error {
	switch c.Kind {
	case sim.Test:
		return nil
	case sim.Exec:
	default:
		return sim.ErrError
	}
	st := stateOf(s)
	name, ok := fileName(c, 0)
	if _, exists := st.files[name]; !ok || !exists || c.NArg() != 1 {
		return sim.ErrError
	}
	delete(st.files, name)
	return nil
}

// cmdFSFLSIZE: AT+FSFLSIZE=<file> answers "+FSFLSIZE: <bytes>".
func cmdFSFLSIZE(s *sim.Session, c *sim.Command) error {
	switch c.Kind {
	case sim.Test:
		return nil
	case sim.Exec:
	default:
		return sim.ErrError
	}
	st := stateOf(s)
	name, _ := fileName(c, 0)
	b, ok := st.files[name]
	if !ok || c.NArg() != 1 {
		return sim.ErrError
	}
	s.Replyf("+FSFLSIZE: %d", len(b))
	return nil
}

// sslContext holds the AT+SSLCFG items of one context.
type sslContext struct {
	items map[string]string
}

// sslItems are the AT+SSLCFG items and how their values are checked:
// integer ranges, or "" for strings.
var sslItems = map[string][2]int{
	"sslversion":       {0, 4},
	"ciphersuite":      {-1, -1}, // 0X0035 style hex
	"cacert":           {},
	"clientcert":       {},
	"clientkey":        {},
	"seclevel":         {0, 2},
	"hostname":         {},
	"ignorelocaltime":  {0, 1},
	"negotiatetimeout": {10, 300},
	"clientrandom":     {},
	"premaster":        {},
	"verifymode":       {0, 1},
}

// sslContextIDs are the valid <n>: TCP links 0-5, FTP 34, MQTT 88, HTTP 153.
var sslContextIDs = []int{0, 1, 2, 3, 4, 5, 34, 88, 153}

// cmdSSLCFG: AT+SSLCFG="<item>",<n>[,<value>]. Without a value it shows
// the item; with an empty value ("<n>," ) it erases it.
func cmdSSLCFG(s *sim.Session, c *sim.Command) error {
	switch c.Kind {
	case sim.Test:
		return nil
	case sim.Exec:
	default:
		return sim.ErrError
	}
	item := strings.ToLower(c.Arg(0))
	lim, known := sslItems[item]
	n, err := c.Int(1)
	if !known || err != nil || !slices.Contains(sslContextIDs, n) || c.NArg() < 2 || c.NArg() > 3 {
		return sim.ErrError
	}
	st := stateOf(s)
	ctx := st.ssl[n]
	if ctx == nil {
		ctx = &sslContext{items: map[string]string{}}
		st.ssl[n] = ctx
	}
	if c.NArg() == 2 {
		v, ok := ctx.items[item]
		if !ok {
			v = sslDefault(item)
		}
		if lim == [2]int{} {
			v = strconv.Quote(v)
		}
		s.Replyf("+SSLCFG: %q,%d,%s", item, n, v) // assumption: one spacing for every item
		return nil
	}
	v := c.Arg(2)
	if c.RawArg(2) == "" {
		delete(ctx.items, item)
		return nil
	}
	switch {
	case lim == [2]int{-1, -1}:
		if _, err := strconv.ParseUint(strings.TrimPrefix(strings.ToUpper(v), "0X"), 16, 16); err != nil {
			return sim.ErrError
		}
	case lim != [2]int{}:
		x, err := c.IntIn(2, lim[0], lim[1])
		if err != nil {
			return sim.ErrError
		}
		v = strconv.Itoa(x)
	}
	ctx.items[item] = v
	return nil
}

func sslDefault(item string) string {
	switch item {
	case "sslversion":
		return "4"
	case "seclevel", "ignorelocaltime", "verifymode":
		return "0"
	case "negotiatetimeout":
		return "300"
	case "ciphersuite":
		return "0XFFFF"
	}
	return ""
}

// tlsConfig builds the TLS client of the MQTT context 88. seclevel 0
// verifies nothing, 1 the server against "cacert", 2 also presents
// "clientcert"/"clientkey". Missing or unreadable files are errors, which
// MIPSTART reports as CONNECT FAIL.
func (st *state) tlsConfig(host string) (*tls.Config, error) {
	items := map[string]string{}
	if ctx := st.ssl[mqttSSLCtx]; ctx != nil {
		items = ctx.items
	}
	get := func(k string) string {
		if v, ok := items[k]; ok {
			return v
		}
		return sslDefault(k)
	}
	t := &tls.Config{ServerName: host}
	if h := get("hostname"); h != "" {
		t.ServerName = h
	}
	switch get("sslversion") {
	case "0":
		t.MaxVersion = 0x0300 // SSL 3.0, as the command offers it; Go refuses it
	case "1":
		t.MinVersion, t.MaxVersion = tls.VersionTLS10, tls.VersionTLS10
	case "2":
		t.MinVersion, t.MaxVersion = tls.VersionTLS11, tls.VersionTLS11
	case "3":
		t.MaxVersion = tls.VersionTLS12
	}
	file := func(k string) ([]byte, error) {
		name := get(k)
		b, ok := st.files[name]
		if !ok {
			return nil, fmt.Errorf("ssl %s file %q not found", k, name)
		}
		return b, nil
	}
	level := get("seclevel")
	if level == "0" {
		t.InsecureSkipVerify = true
		return t, nil
	}
	ca, err := file("cacert")
	if err != nil {
		return nil, err
	}
	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM(ca) {
		return nil, fmt.Errorf("ssl cacert %q holds no PEM certificate", get("cacert"))
	}
	t.RootCAs = pool
	if level == "2" {
		cert, err := file("clientcert")
		if err != nil {
			return nil, err
		}
		key, err := file("clientkey")
		if err != nil {
			return nil, err
		}
		pair, err := tls.X509KeyPair(cert, key)
		if err != nil {
			return nil, fmt.Errorf("ssl client certificate: %w", err)
		}
		t.Certificates = []tls.Certificate{pair}
	}
	return t, nil
}
