package simtesting

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"math/big"
	"net"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/atrun/atrun/internal/testbroker"
	"github.com/atrun/atrun/sim/broker"
)

// PKI is a throw-away CA with a server certificate for 127.0.0.1 and
// localhost and a client certificate ("atrun-client"), all PEM; keys are
// "EC PRIVATE KEY" blocks. Certificates are valid for a day either side
// of now.
type PKI struct {
	CA, ServerCert, ServerKey, ClientCert, ClientKey []byte
}

// NewPKI makes a fresh PKI (broker.NewPKI, which the embedded broker's
// TLS listeners use). Two calls give unrelated CAs, so the second serves
// as the wrong CA.
func NewPKI(t testing.TB) PKI {
	t.Helper()
	p, err := broker.NewPKI()
	if err != nil {
		t.Fatal(err)
	}
	return PKI(p)
}

// MosquittoFiles writes the CA, the server certificate and its key to a
// temporary directory and returns the mosquitto configuration lines that
// name them ("cafile ...", "certfile ...", "keyfile ..."), for a listener
// that follows them with its own "require_certificate" line. The
// directory is removed when the test ends.
func (p PKI) MosquittoFiles(t testing.TB) []string {
	t.Helper()
	// Not t.TempDir: its directories are private, and mosquitto started as
	// root drops to its own user, which must read the files.
	dir, err := os.MkdirTemp("", "atrun-mosquitto-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	if err := os.Chmod(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	write := func(name string, b []byte) string {
		f := filepath.Join(dir, name)
		if err := os.WriteFile(f, b, 0o644); err != nil {
			t.Fatal(err)
		}
		return f
	}
	return []string{
		"cafile " + write("ca.pem", p.CA),
		"certfile " + write("server.pem", p.ServerCert),
		"keyfile " + write("server.key", p.ServerKey),
	}
}

// TLSBrokers runs two mosquitto brokers whose only listener is TLS with
// p's server certificate: oneWay asks for no client certificate, mutual
// requires one signed by p's CA.
func TLSBrokers(t testing.TB, p PKI) (oneWay, mutual string) {
	t.Helper()
	files := p.MosquittoFiles(t)
	oneWay = testbroker.Start(t, testbroker.Config(append(files, "require_certificate false")...))
	mutual = testbroker.Start(t, testbroker.Config(append(files, "require_certificate true")...))
	return oneWay, mutual
}

// SelfSigned makes a server certificate for localhost and 127.0.0.1 that
// is its own CA, and returns it with its PEM (to trust it).
func SelfSigned(t testing.TB) (tls.Certificate, []byte) {
	t.Helper()
	key := newKey(t)
	tmpl := &x509.Certificate{
		SerialNumber:          big.NewInt(1),
		Subject:               pkix.Name{CommonName: "localhost"},
		DNSNames:              []string{"localhost"},
		IPAddresses:           []net.IP{net.ParseIP("127.0.0.1")},
		NotBefore:             time.Now().Add(-time.Hour),
		NotAfter:              time.Now().Add(time.Hour),
		IsCA:                  true,
		BasicConstraintsValid: true,
		KeyUsage:              x509.KeyUsageDigitalSignature | x509.KeyUsageCertSign,
		ExtKeyUsage:           []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	return tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key}, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der})
}

func newKey(t testing.TB) *ecdsa.PrivateKey {
	t.Helper()
	k, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	return k
}
