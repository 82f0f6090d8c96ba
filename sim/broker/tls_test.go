package broker_test

import (
	"crypto/tls"
	"crypto/x509"
	"testing"
	"time"

	paho "github.com/eclipse/paho.mqtt.golang"

	"github.com/atrun/atrun/sim/broker"
)

// The embedded broker's TLS listeners: the one-way listener takes a client
// that trusts the CA; the mutual one refuses a client without a
// certificate or with one from another CA, and takes the PKI's.
func TestTLSListeners(t *testing.T) {
	p, err := broker.NewPKI()
	if err != nil {
		t.Fatal(err)
	}
	other, err := broker.NewPKI()
	if err != nil {
		t.Fatal(err)
	}
	b, err := broker.StartWith(broker.Options{TLS: &p})
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	if b.TLSAddr() == "" || b.MutualTLSAddr() == "" || b.TLSAddr() == b.MutualTLSAddr() {
		t.Fatalf("TLS listeners: %q, %q", b.TLSAddr(), b.MutualTLSAddr())
	}
	roots := x509.NewCertPool()
	roots.AppendCertsFromPEM(p.CA)
	pair := func(pk broker.PKI) []tls.Certificate {
		c, err := tls.X509KeyPair(pk.ClientCert, pk.ClientKey)
		if err != nil {
			t.Fatal(err)
		}
		return []tls.Certificate{c}
	}
	try := func(addr string, certs []tls.Certificate) error {
		o := paho.NewClientOptions().AddBroker("ssl://" + addr).SetClientID("tls").SetAutoReconnect(false).
			SetConnectTimeout(5 * time.Second).SetTLSConfig(&tls.Config{RootCAs: roots, Certificates: certs, ServerName: "127.0.0.1"})
		c := paho.NewClient(o)
		tok := c.Connect()
		if !tok.WaitTimeout(10 * time.Second) {
			t.Fatalf("connect to %s: no answer", addr)
		}
		if tok.Error() == nil {
			c.Disconnect(0)
		}
		return tok.Error()
	}
	if err := try(b.TLSAddr(), nil); err != nil {
		t.Errorf("one-way TLS: %v", err)
	}
	if err := try(b.MutualTLSAddr(), pair(p)); err != nil {
		t.Errorf("mutual TLS with the PKI's client certificate: %v", err)
	}
	if err := try(b.MutualTLSAddr(), nil); err == nil {
		t.Error("mutual TLS without a client certificate was accepted")
	}
	if err := try(b.MutualTLSAddr(), pair(other)); err == nil {
		t.Error("mutual TLS with another CA's client certificate was accepted")
	}
}
