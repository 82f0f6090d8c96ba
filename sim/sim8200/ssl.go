package sim8200

import (
	"crypto/tls"
	"crypto/x509"
	"errors"
	"slices"
	"strings"

	"github.com/atrun/atrun/sim"
)

// cmdMQTTSSLCFG: AT+CMQTTSSLCFG=<session_id>,<ssl_ctx_index> binds a
// client to an SSL context; it may come before AT+CMQTTACCQ (S23 log).
func cmdMQTTSSLCFG(s *sim.Session, c *sim.Command) error {
	st := stateOf(s)
	switch c.Kind {
	case sim.Test:
		s.Reply("+CMQTTSSLCFG: (0-1),(0-9)")
		return nil
	case sim.Read:
		for _, cl := range st.clients {
			s.Replyf("+CMQTTSSLCFG: %d,%d", cl.idx, st.sslOf(cl.idx))
		}
		return nil
	case sim.Exec:
	default:
		return sim.ErrError
	}
	idx, ok := index(c, 0)
	if !ok || c.NArg() != 2 {
		return sim.ErrError
	}
	ctx, err := c.IntIn(1, 0, numSSLCtx-1)
	if err != nil {
		return sim.ErrError
	}
	st.sslBind[idx] = ctx
	return nil
}

func (st *state) sslOf(idx int) int { return st.sslBind[idx] }

// cmdCCERTDOWN: AT+CCERTDOWN="<name>",<len> then exactly len bytes. Names
// end in .pem or .der (SIMCom SSL manual; assumption for the check).
func cmdCCERTDOWN(s *sim.Session, c *sim.Command) error {
	switch c.Kind {
	case sim.Test:
		s.Reply("+CCERTDOWN: (1-10240)")
		return nil
	case sim.Exec:
	default:
		return sim.ErrError
	}
	name := c.Arg(0)
	if c.NArg() != 2 || !certName(name) {
		return sim.ErrError
	}
	n, err := c.IntIn(1, 1, maxCert)
	if err != nil {
		return sim.ErrError
	}
	st := stateOf(s)
	return st.input(n, func(b []byte) error {
		st.certs[name] = b
		return nil
	})
}

func certName(n string) bool {
	l := strings.ToLower(n)
	return len(n) > 4 && len(n) <= 128 && (strings.HasSuffix(l, ".pem") || strings.HasSuffix(l, ".der"))
}

// cmdCCERTLIST: AT+CCERTLIST lists the downloaded files.
func cmdCCERTLIST(s *sim.Session, c *sim.Command) error {
	switch c.Kind {
	case sim.Test:
		return nil
	case sim.Action:
	default:
		return sim.ErrError
	}
	st := stateOf(s)
	names := make([]string, 0, len(st.certs))
	for n := range st.certs {
		names = append(names, n)
	}
	slices.Sort(names)
	for _, n := range names {
		s.Replyf("+CCERTLIST: %q", n)
	}
	return nil
}

// cmdCCERTDELE: AT+CCERTDELE="<name>".
func cmdCCERTDELE(s *sim.Session, c *sim.Command) error {
	switch c.Kind {
	case sim.Test:
		return nil
	case sim.Exec:
	default:
		return sim.ErrError
	}
	st := stateOf(s)
	name := c.Arg(0)
	if _, ok := st.certs[name]; !ok || c.NArg() != 1 {
		return sim.ErrError
	}
	delete(st.certs, name)
	return nil
}

// cmdCSSLCFG: AT+CSSLCFG="<item>",<ctx>,<value> for the items MQTT uses.
func cmdCSSLCFG(s *sim.Session, c *sim.Command) error {
	switch c.Kind {
	case sim.Test:
		return nil
	case sim.Exec:
	default:
		return sim.ErrError
	}
	if c.NArg() != 3 {
		return sim.ErrError
	}
	n, err := c.IntIn(1, 0, numSSLCtx-1)
	if err != nil {
		return sim.ErrError
	}
	st := stateOf(s)
	ctx := &st.ssl[n]
	item := strings.ToLower(c.Arg(0))
	switch item {
	case "sslversion", "authmode", "ignorelocaltime", "negotiatetime", "enablesni":
		lim := map[string][2]int{
			"sslversion": {0, 4}, "authmode": {0, 3}, "ignorelocaltime": {0, 1},
			"negotiatetime": {10, 300}, "enablesni": {0, 1},
		}[item]
		v, err := c.IntIn(2, lim[0], lim[1])
		if err != nil {
			return sim.ErrError
		}
		switch item {
		case "sslversion":
			ctx.version = v
		case "authmode":
			ctx.authmode = v
		case "ignorelocaltime":
			ctx.ignoreLocalTime = v == 1
		case "enablesni":
			ctx.sni = v == 1
		}
	case "cacert", "clientcert", "clientkey":
		f := c.Arg(2)
		if !certName(f) {
			return sim.ErrError
		}
		switch item {
		case "cacert":
			ctx.cacert = f
		case "clientcert":
			ctx.clientcert = f
		default:
			ctx.clientkey = f
		}
	default:
		return sim.ErrError
	}
	return nil
}

// tlsConfig builds the TLS client of an SSL context. authmode: 0 no
// authentication, 1 server, 2 server and client, 3 client only. A file
// that is named but missing is error 33 ("not set certificate"); one that
// does not parse fails the handshake (32).
func (st *state) tlsConfig(n int) (*tls.Config, int) {
	ctx := st.ssl[n]
	t := &tls.Config{}
	switch ctx.version {
	case 0:
		t.MaxVersion = 0x0300 // SSL 3.0, as the command offers it; Go refuses it
	case 1:
		t.MinVersion, t.MaxVersion = tls.VersionTLS10, tls.VersionTLS10
	case 2:
		t.MinVersion, t.MaxVersion = tls.VersionTLS11, tls.VersionTLS11
	case 3:
		t.MaxVersion = tls.VersionTLS12
	}
	if ctx.authmode == 1 || ctx.authmode == 2 {
		pem, ok := st.certs[ctx.cacert]
		if !ok {
			return nil, errNoCertificate
		}
		pool := x509.NewCertPool()
		if !pool.AppendCertsFromPEM(pem) {
			return nil, errHandshake
		}
		t.RootCAs = pool
	} else {
		t.InsecureSkipVerify = true
	}
	if ctx.authmode == 2 || ctx.authmode == 3 {
		cert, ok1 := st.certs[ctx.clientcert]
		key, ok2 := st.certs[ctx.clientkey]
		if !ok1 || !ok2 {
			return nil, errNoCertificate
		}
		pair, err := tls.X509KeyPair(cert, key)
		if err != nil {
			return nil, errHandshake
		}
		t.Certificates = []tls.Certificate{pair}
	}
	return t, errOK
}

// isTLSError reports a failed TLS handshake or certificate check.
func isTLSError(err error) bool {
	var (
		alert  tls.AlertError
		verify *tls.CertificateVerificationError
		header tls.RecordHeaderError
		auth   x509.UnknownAuthorityError
		host   x509.HostnameError
		inval  x509.CertificateInvalidError
	)
	return errors.As(err, &alert) || errors.As(err, &verify) || errors.As(err, &header) ||
		errors.As(err, &auth) || errors.As(err, &host) || errors.As(err, &inval)
}
