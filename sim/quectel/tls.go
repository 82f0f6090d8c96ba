package quectel

import (
	"crypto/hmac"
	"crypto/sha1"
	"crypto/tls"
	"crypto/x509"
	"encoding/hex"
	"errors"
	"fmt"
	"strings"

	"github.com/atrun/atrun/sim"
)

// sslCtx is one SSL context of AT+QSSLCFG.
type sslCtx struct {
	// level is "seclevel": 0 no authentication, 1 verify the server,
	// 2 verify the server and present a client certificate.
	level                     int
	caFile, certFile, keyFile string // EC20: names of files uploaded by AT+QFUPL
	ca, cert, key             []byte // BC26: PEM typed after the prompt
	version, sni, ignoreTime  int
	cipher                    string
}

func (st *state) sslContext(key int) *sslCtx {
	c, ok := st.ssl[key]
	if !ok {
		c = &sslCtx{version: 4, cipher: "0xFFFF"}
		st.ssl[key] = c
	}
	return c
}

func (st *state) sslKey(cf *cfg) int {
	if st.d == bc26 {
		return cf.sslCtx*16 + cf.sslConn
	}
	return cf.sslCtx
}

// tlsConfig builds the client's TLS settings, or nil without "ssl". The
// engine adds Options.TLS (test roots) for fields left empty.
func (st *state) tlsConfig(cf *cfg, host string) (*tls.Config, error) {
	if cf.ssl != 1 {
		return nil, nil
	}
	ctx := st.sslContext(st.sslKey(cf))
	t := &tls.Config{}
	if base := st.s.Options().TLS; base != nil {
		t = base.Clone()
	}
	if t.ServerName == "" {
		t.ServerName = host
	}
	ca, cert, key := ctx.ca, ctx.cert, ctx.key
	if st.d == ec20 {
		ca, cert, key = st.files[ctx.caFile], st.files[ctx.certFile], st.files[ctx.keyFile]
	}
	if ctx.level == 0 {
		t.InsecureSkipVerify = true
		return t, nil
	}
	if len(ca) > 0 {
		pool := x509.NewCertPool()
		if !pool.AppendCertsFromPEM(ca) {
			return nil, fmt.Errorf("CA certificate of SSL context is not PEM")
		}
		t.RootCAs = pool
	}
	if ctx.level == 2 && len(cert) > 0 {
		pair, err := tls.X509KeyPair(cert, key)
		if err != nil {
			return nil, fmt.Errorf("client certificate of SSL context: %w", err)
		}
		t.Certificates = []tls.Certificate{pair}
	}
	return t, nil
}

// isTLSError reports a handshake or certificate failure.
func isTLSError(err error) bool {
	var (
		alert    tls.AlertError
		record   tls.RecordHeaderError
		verify   *tls.CertificateVerificationError
		unknown  x509.UnknownAuthorityError
		invalid  x509.CertificateInvalidError
		hostname x509.HostnameError
	)
	return errors.As(err, &alert) || errors.As(err, &record) || errors.As(err, &verify) ||
		errors.As(err, &unknown) || errors.As(err, &invalid) || errors.As(err, &hostname) ||
		strings.Contains(err.Error(), "tls: ")
}

// AT+QSSLCFG="<name>",<ctx>[,<value>] (EC20 SSL AN form; BG95 AN quotes
// "cacert", "seclevel", "sslversion", "ignorelocaltime"). Certificates are
// file names given to AT+QFUPL.
func cmdQSSLCFGEC20(s *sim.Session, c *sim.Command) error {
	st := stateOf(s)
	switch c.Kind {
	case sim.Test:
		s.Reply(`+QSSLCFG: "sslversion",(0-5),(0-4)`)
		s.Reply(`+QSSLCFG: "ciphersuite",(0-5),(0X0035,0X002F,0X0005,0X0004,0X000A,0X003D,0XFFFF)`)
		s.Reply(`+QSSLCFG: "cacert",(0-5),<cacertpath>`)
		s.Reply(`+QSSLCFG: "clientcert",(0-5),<client_cert_path>`)
		s.Reply(`+QSSLCFG: "clientkey",(0-5),<client_key_path>`)
		s.Reply(`+QSSLCFG: "seclevel",(0-5),(0-2)`)
		s.Reply(`+QSSLCFG: "ignorelocaltime",(0-5),(0,1)`)
		s.Reply(`+QSSLCFG: "sni",(0-5),(0,1)`)
		return nil
	case sim.Exec:
	default:
		return sim.ErrError
	}
	if c.NArg() < 2 || c.NArg() > 3 || !c.Quoted(0) {
		return sim.ErrError
	}
	n, err := c.IntIn(1, 0, 5)
	if err != nil {
		return sim.ErrError
	}
	ctx := st.sslContext(n)
	name := strings.ToLower(c.Arg(0))
	query := c.NArg() == 2
	reply := func(v any) error {
		if sv, ok := v.(string); ok {
			v = `"` + sv + `"`
		}
		s.Replyf("+QSSLCFG: %q,%d,%v", name, n, v)
		return nil
	}
	setInt := func(p *int, lo, hi int) error {
		v, err := c.IntIn(2, lo, hi)
		if err != nil {
			return sim.ErrError
		}
		*p = v
		return nil
	}
	setFile := func(p *string) error {
		if !c.Quoted(2) || c.Arg(2) == "" {
			return sim.ErrError
		}
		*p = c.Arg(2)
		return nil
	}
	switch name {
	case "seclevel":
		if query {
			return reply(ctx.level)
		}
		return setInt(&ctx.level, 0, 2)
	case "sslversion":
		if query {
			return reply(ctx.version)
		}
		return setInt(&ctx.version, 0, 4)
	case "ignorelocaltime":
		if query {
			return reply(ctx.ignoreTime)
		}
		return setInt(&ctx.ignoreTime, 0, 1)
	case "sni":
		if query {
			return reply(ctx.sni)
		}
		return setInt(&ctx.sni, 0, 1)
	case "ciphersuite":
		if query {
			return reply(ctx.cipher)
		}
		ctx.cipher = c.Arg(2)
		return nil
	case "cacert":
		if query {
			return reply(ctx.caFile)
		}
		return setFile(&ctx.caFile)
	case "clientcert":
		if query {
			return reply(ctx.certFile)
		}
		return setFile(&ctx.certFile)
	case "clientkey":
		if query {
			return reply(ctx.keyFile)
		}
		return setFile(&ctx.keyFile)
	}
	return sim.ErrError
}

// AT+QSSLCFG=<SSL_ctxID>,<SSL_connectID>,"<name>"[,<value>] (BC660K AN
// example: AT+QSSLCFG=0,0,"seclevel",2); "cacert", "clientcert" and
// "clientkey" without a value prompt ">" for PEM text ended by Ctrl-Z and
// answer +QSSLCFG: <ctx>,<conn>,"<name>",<length>.
func cmdQSSLCFGBC26(s *sim.Session, c *sim.Command) error {
	st := stateOf(s)
	switch c.Kind {
	case sim.Test:
		s.Reply(`+QSSLCFG: (0-10),(0-4),"seclevel",(0-2)`)
		s.Reply(`+QSSLCFG: (0-10),(0-4),"cacert"`)
		s.Reply(`+QSSLCFG: (0-10),(0-4),"clientcert"`)
		s.Reply(`+QSSLCFG: (0-10),(0-4),"clientkey"`)
		return nil
	case sim.Exec:
	default:
		return sim.ErrError
	}
	if c.NArg() < 3 || c.NArg() > 4 || !c.Quoted(2) {
		return sim.ErrError
	}
	n, err1 := c.IntIn(0, 0, 10)
	conn, err2 := c.IntIn(1, 0, 4)
	if err1 != nil || err2 != nil {
		return sim.ErrError
	}
	ctx := st.sslContext(n*16 + conn)
	name := strings.ToLower(c.Arg(2))
	pem := func(p *[]byte) error {
		if c.NArg() != 3 {
			return sim.ErrError
		}
		return s.ReadData(sim.DataEntry{Prompt: st.prompt(), Echo: true, Max: 8192}, func(data []byte, err error) error {
			if err != nil {
				return nil
			}
			*p = append([]byte(nil), data...)
			s.Replyf("+QSSLCFG: %d,%d,%q,%d", n, conn, name, len(data))
			return nil
		})
	}
	switch name {
	case "seclevel":
		if c.NArg() == 3 {
			s.Replyf("+QSSLCFG: %d,%d,%q,%d", n, conn, name, ctx.level)
			return nil
		}
		v, err := c.IntIn(3, 0, 2)
		if err != nil {
			return sim.ErrError
		}
		ctx.level = v
		return nil
	case "cacert":
		return pem(&ctx.ca)
	case "clientcert":
		return pem(&ctx.cert)
	case "clientkey":
		return pem(&ctx.key)
	}
	return sim.ErrError
}

// AT+QFUPL="<name>",<size>[,<timeout>[,<ackmode>]] -> CONNECT -> exactly
// size bytes -> +QFUPL: <size>,<checksum> -> OK (Quectel FILE AT
// commands; the checksum is the XOR of the data's 16-bit words, printed in
// hex: assumption on the case). An existing name answers +CME ERROR: 407.
func cmdQFUPL(s *sim.Session, c *sim.Command) error {
	st := stateOf(s)
	switch c.Kind {
	case sim.Test:
		s.Reply(`+QFUPL: <filename>,(1-10485760),(1-65535),(0,1)`)
		return nil
	case sim.Exec:
	default:
		return sim.ErrError
	}
	if c.NArg() < 2 || c.NArg() > 4 || !c.Quoted(0) || c.Arg(0) == "" {
		return sim.CMEIncorrectParams
	}
	name := c.Arg(0)
	size, err := c.IntIn(1, 1, 10485760)
	if err != nil {
		return sim.CMEIncorrectParams
	}
	if _, ok := st.files[name]; ok {
		return sim.CMEError(407)
	}
	return s.ReadData(sim.DataEntry{Prompt: "\r\nCONNECT\r\n", Len: size}, func(data []byte, err error) error {
		if err != nil {
			return sim.CMEError(409)
		}
		st.files[name] = append([]byte(nil), data...)
		s.Replyf("+QFUPL: %d,%x", len(data), checksum(data))
		return nil
	})
}

// AT+QFDEL="<name>" deletes an uploaded file ("*" all of them).
func cmdQFDEL(s *sim.Session, c *sim.Command) error {
	st := stateOf(s)
	if c.Kind == sim.Test {
		return nil
	}
	if c.Kind != sim.Exec || c.NArg() != 1 {
		return sim.CMEIncorrectParams
	}
	name := c.Arg(0)
	if name == "*" {
		clear(st.files)
		return nil
	}
	if _, ok := st.files[name]; !ok {
		return sim.CMEError(405) // file not found
	}
	delete(st.files, name)
	return nil
}

func checksum(b []byte) uint16 {
	var x uint16
	for i := 0; i < len(b); i += 2 {
		w := uint16(b[i]) << 8
		if i+1 < len(b) {
			w |= uint16(b[i+1])
		}
		x ^= w
	}
	return x
}

// aliCredentials computes what AT+QMTCFG="aliauth" makes the module send
// (Alibaba Cloud one-device-one-secret, vendors.md 9.2): client id
// "<id>|securemode=3,signmethod=hmacsha1|" (securemode 2 over TLS),
// username "<device>&<product>", password hex HMAC-SHA1 keyed by the
// device secret over "clientId<id>deviceName<device>productKey<product>".
// Which sign method the firmware picks is an assumption.
func aliCredentials(id, product, device, secret string, tlsOn bool) (clientID, user, pass string) {
	mode := 3
	if tlsOn {
		mode = 2
	}
	mac := hmac.New(sha1.New, []byte(secret))
	mac.Write([]byte("clientId" + id + "deviceName" + device + "productKey" + product))
	return fmt.Sprintf("%s|securemode=%d,signmethod=hmacsha1|", id, mode), device + "&" + product, hex.EncodeToString(mac.Sum(nil))
}
