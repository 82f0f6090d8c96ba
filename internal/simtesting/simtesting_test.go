package simtesting_test

import (
	"crypto/tls"
	"crypto/x509"
	"encoding/pem"
	"fmt"
	"runtime"
	"strings"
	"testing"
	"time"

	paho "github.com/eclipse/paho.mqtt.golang"

	"github.com/atrun/atrun/internal/simtesting"
	"github.com/atrun/atrun/internal/testbroker"
)

// recorder is a testing.TB whose Fatal/Fatalf record the message and end
// the calling goroutine, so a helper's failure can be checked.
type recorder struct {
	testing.TB
	failure string
}

func (r *recorder) Helper() {}

func (r *recorder) Fatalf(format string, args ...any) {
	r.failure = fmt.Sprintf(format, args...)
	runtime.Goexit()
}

func (r *recorder) Fatal(args ...any) {
	r.failure = fmt.Sprint(args...)
	runtime.Goexit()
}

// fails runs f with a recorder and returns what it failed with ("" if
// it did not fail).
func fails(t *testing.T, f func(tb testing.TB)) string {
	r := &recorder{TB: t}
	done := make(chan struct{})
	go func() {
		defer close(done)
		f(r)
	}()
	<-done
	return r.failure
}

func parseCert(t *testing.T, b []byte) *x509.Certificate {
	t.Helper()
	blk, _ := pem.Decode(b)
	if blk == nil || blk.Type != "CERTIFICATE" {
		t.Fatalf("not a PEM certificate: %q", b)
	}
	c, err := x509.ParseCertificate(blk.Bytes)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func TestPKI(t *testing.T) {
	p, other := simtesting.NewPKI(t), simtesting.NewPKI(t)
	for _, pair := range [][2][]byte{{p.ServerCert, p.ServerKey}, {p.ClientCert, p.ClientKey}} {
		if _, err := tls.X509KeyPair(pair[0], pair[1]); err != nil {
			t.Fatalf("key does not match its certificate: %v", err)
		}
	}
	roots := func(ca []byte) *x509.CertPool {
		pool := x509.NewCertPool()
		if !pool.AppendCertsFromPEM(ca) {
			t.Fatalf("CA is not PEM: %q", ca)
		}
		return pool
	}
	tests := []struct {
		name  string
		cert  []byte
		ca    []byte
		host  string
		usage x509.ExtKeyUsage
		ok    bool
	}{
		{"server by IP", p.ServerCert, p.CA, "127.0.0.1", x509.ExtKeyUsageServerAuth, true},
		{"server by name", p.ServerCert, p.CA, "localhost", x509.ExtKeyUsageServerAuth, true},
		{"server for another host", p.ServerCert, p.CA, "example.com", x509.ExtKeyUsageServerAuth, false},
		{"server under another CA", p.ServerCert, other.CA, "127.0.0.1", x509.ExtKeyUsageServerAuth, false},
		{"server as a client", p.ServerCert, p.CA, "", x509.ExtKeyUsageClientAuth, false},
		{"client", p.ClientCert, p.CA, "", x509.ExtKeyUsageClientAuth, true},
		{"client as a server", p.ClientCert, p.CA, "", x509.ExtKeyUsageServerAuth, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := parseCert(t, tc.cert).Verify(x509.VerifyOptions{
				Roots: roots(tc.ca), DNSName: tc.host, KeyUsages: []x509.ExtKeyUsage{tc.usage},
			})
			if (err == nil) != tc.ok {
				t.Fatalf("verify: %v, want ok=%t", err, tc.ok)
			}
		})
	}
}

func TestSelfSigned(t *testing.T) {
	cert, caPEM := simtesting.SelfSigned(t)
	pool := x509.NewCertPool()
	pool.AppendCertsFromPEM(caPEM)
	leaf, err := x509.ParseCertificate(cert.Certificate[0])
	if err != nil {
		t.Fatal(err)
	}
	for _, host := range []string{"localhost", "127.0.0.1"} {
		if _, err := leaf.Verify(x509.VerifyOptions{Roots: pool, DNSName: host}); err != nil {
			t.Errorf("verify for %s: %v", host, err)
		}
	}
}

func TestStrictBroker(t *testing.T) {
	cert, caPEM := simtesting.SelfSigned(t)
	plain, secure, h := simtesting.StartStrictBroker(t, &tls.Config{Certificates: []tls.Certificate{cert}})
	if got := h.Last(); got != (simtesting.Connect{}) {
		t.Fatalf("Last before any CONNECT = %+v", got)
	}
	connect := func(user, pass string) error {
		o := paho.NewClientOptions().AddBroker("tcp://" + plain).SetClientID("strict-" + user).
			SetUsername(user).SetPassword(pass).SetAutoReconnect(false)
		c := paho.NewClient(o)
		tok := c.Connect()
		if !tok.WaitTimeout(5 * time.Second) {
			t.Fatal("paho connect timed out")
		}
		if tok.Error() == nil {
			c.Disconnect(0)
		}
		return tok.Error()
	}
	if err := connect("good", "p,w"); err != nil {
		t.Fatalf("user good refused: %v", err)
	}
	if got, want := h.Last(), (simtesting.Connect{ClientID: "strict-good", User: "good", Pass: "p,w"}); got != want {
		t.Fatalf("Last = %+v, want %+v", got, want)
	}
	if err := connect("bad", "x"); err == nil {
		t.Fatal("user bad accepted")
	}
	if got := h.Last().User; got != "bad" {
		t.Fatalf("refused CONNECT not recorded: last user %q", got)
	}
	for topic, want := range map[string]bool{"denied/x": false, "denied": true, "ok/denied/x": true} {
		if got := h.OnACLCheck(nil, topic, true); got != want {
			t.Errorf("OnACLCheck(%q) = %t, want %t", topic, got, want)
		}
	}

	pool := x509.NewCertPool()
	pool.AppendCertsFromPEM(caPEM)
	conn, err := tls.Dial("tcp", secure, &tls.Config{RootCAs: pool, ServerName: "localhost"})
	if err != nil {
		t.Fatalf("TLS listener: %v", err)
	}
	conn.Close()
	if _, secure, _ := simtesting.StartStrictBroker(t, nil); secure != "" {
		t.Fatalf("no TLS asked, got TLS address %q", secure)
	}
}

func TestMessages(t *testing.T) {
	b := testbroker.Start(t)
	ch := simtesting.Subscribe(t, b, "m/#")
	simtesting.Publish(t, b, "m/r", []byte("kept"), 1, true)
	simtesting.WantMessage(t, ch, simtesting.Message{Topic: "m/r", Payload: []byte("kept"), QoS: 1})
	simtesting.Retained(t, b, "m/r", []byte("kept"))
	// Retained cleared it with an empty retained publish, which passes here.
	simtesting.WantMessage(t, ch, simtesting.Message{Topic: "m/r", QoS: 0})

	simtesting.Publish(t, b, "m/x", []byte("one"), 0, false)
	msg := fails(t, func(tb testing.TB) {
		simtesting.WantMessage(tb, ch, simtesting.Message{Topic: "m/x", Payload: []byte("two")})
	})
	if !strings.Contains(msg, `payload="one"`) || !strings.Contains(msg, `payload="two"`) {
		t.Fatalf("WantMessage failure %q does not show both payloads", msg)
	}

	c := simtesting.Client(t, b, "peer")
	sub := simtesting.SubscribeOn(t, c, "n", 1)
	simtesting.Publish(t, b, "n", []byte("hi"), 1, false)
	if m := simtesting.Next(t, sub); m.Topic() != "n" || string(m.Payload()) != "hi" || m.Qos() != 1 {
		t.Fatalf("Next = %s %q qos %d", m.Topic(), m.Payload(), m.Qos())
	}
}

func TestTLSBrokers(t *testing.T) {
	p := simtesting.NewPKI(t)
	oneWay, mutual := simtesting.TLSBrokers(t, p)
	pool := x509.NewCertPool()
	pool.AppendCertsFromPEM(p.CA)
	pair, err := tls.X509KeyPair(p.ClientCert, p.ClientKey)
	if err != nil {
		t.Fatal(err)
	}
	// With TLS 1.3 a refused client certificate shows on the first read.
	handshake := func(addr string, certs []tls.Certificate) error {
		conn, err := tls.Dial("tcp", addr, &tls.Config{RootCAs: pool, Certificates: certs})
		if err != nil {
			return err
		}
		defer conn.Close()
		// A CONNECT for MQTT 3.1.1 with client id "x": an accepted
		// session answers CONNACK.
		if _, err := conn.Write([]byte{0x10, 13, 0, 4, 'M', 'Q', 'T', 'T', 4, 2, 0, 60, 0, 1, 'x'}); err != nil {
			return err
		}
		conn.SetReadDeadline(time.Now().Add(5 * time.Second))
		buf := make([]byte, 4)
		if _, err := conn.Read(buf); err != nil {
			return err
		}
		if buf[0] != 0x20 {
			return fmt.Errorf("got % x, want a CONNACK", buf)
		}
		return nil
	}
	tests := []struct {
		name  string
		addr  string
		certs []tls.Certificate
		ok    bool
	}{
		{"one-way", oneWay, nil, true},
		{"mutual with certificate", mutual, []tls.Certificate{pair}, true},
		{"mutual without certificate", mutual, nil, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			// The refusal shows as a TLS alert or a reset, whichever
			// comes first; the other rows show the broker is up.
			if err := handshake(tc.addr, tc.certs); (err == nil) != tc.ok {
				t.Fatalf("handshake: %v, want ok=%t", err, tc.ok)
			}
		})
	}
}
