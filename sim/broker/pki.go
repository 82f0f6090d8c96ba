package broker

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"fmt"
	"math/big"
	"net"
	"os"
	"path/filepath"
	"time"
)

// PKI is a throw-away CA with a server certificate for 127.0.0.1 and
// localhost and a client certificate ("atrun-client"), all PEM; keys are
// "EC PRIVATE KEY" blocks. Certificates are valid for a day either side
// of now: for demos and tests, never for a real broker.
type PKI struct {
	CA, ServerCert, ServerKey, ClientCert, ClientKey []byte
}

// NewPKI makes a fresh PKI. Two calls give unrelated CAs.
func NewPKI() (PKI, error) {
	caKey, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return PKI{}, err
	}
	caTmpl := &x509.Certificate{
		SerialNumber:          big.NewInt(1),
		Subject:               pkix.Name{CommonName: "atrun throw-away CA"},
		NotBefore:             time.Now().Add(-24 * time.Hour),
		NotAfter:              time.Now().Add(24 * time.Hour),
		IsCA:                  true,
		BasicConstraintsValid: true,
		KeyUsage:              x509.KeyUsageCertSign | x509.KeyUsageDigitalSignature,
	}
	caDER, err := x509.CreateCertificate(rand.Reader, caTmpl, caTmpl, &caKey.PublicKey, caKey)
	if err != nil {
		return PKI{}, err
	}
	caCert, err := x509.ParseCertificate(caDER)
	if err != nil {
		return PKI{}, err
	}
	leaf := func(serial int64, cn string, usage x509.ExtKeyUsage, server bool) (cert, key []byte, err error) {
		k, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
		if err != nil {
			return nil, nil, err
		}
		tmpl := &x509.Certificate{
			SerialNumber: big.NewInt(serial),
			Subject:      pkix.Name{CommonName: cn},
			NotBefore:    caTmpl.NotBefore,
			NotAfter:     caTmpl.NotAfter,
			KeyUsage:     x509.KeyUsageDigitalSignature,
			ExtKeyUsage:  []x509.ExtKeyUsage{usage},
		}
		if server {
			tmpl.IPAddresses = []net.IP{net.ParseIP("127.0.0.1")}
			tmpl.DNSNames = []string{"localhost"}
		}
		der, err := x509.CreateCertificate(rand.Reader, tmpl, caCert, &k.PublicKey, caKey)
		if err != nil {
			return nil, nil, err
		}
		kb, err := x509.MarshalECPrivateKey(k)
		if err != nil {
			return nil, nil, err
		}
		return pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}),
			pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: kb}), nil
	}
	p := PKI{CA: pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: caDER})}
	if p.ServerCert, p.ServerKey, err = leaf(2, "127.0.0.1", x509.ExtKeyUsageServerAuth, true); err != nil {
		return PKI{}, err
	}
	if p.ClientCert, p.ClientKey, err = leaf(3, "atrun-client", x509.ExtKeyUsageClientAuth, false); err != nil {
		return PKI{}, err
	}
	return p, nil
}

// PKIFiles are the paths WriteFiles wrote.
type PKIFiles struct {
	Dir                       string
	CA, ClientCert, ClientKey string
}

// WriteFiles writes the CA certificate, the client certificate and the
// client key (what a flow needs; the server's stay in memory) into dir,
// as ca.pem, client.pem and client.key, readable by the user only.
func (p PKI) WriteFiles(dir string) (PKIFiles, error) {
	f := PKIFiles{Dir: dir, CA: filepath.Join(dir, "ca.pem"), ClientCert: filepath.Join(dir, "client.pem"), ClientKey: filepath.Join(dir, "client.key")}
	for path, b := range map[string][]byte{f.CA: p.CA, f.ClientCert: p.ClientCert, f.ClientKey: p.ClientKey} {
		if err := os.WriteFile(path, b, 0o600); err != nil {
			return PKIFiles{}, err
		}
	}
	return f, nil
}

// serverTLS is the listeners' TLS configuration: the server certificate,
// and with mutual a client certificate signed by the CA is required.
// TLS 1.2 at most, as the modems speak it: then a refused client
// certificate fails the handshake itself, so the modem reports a failed
// connection, every time. (In TLS 1.3 the client's handshake ends before
// the server has checked its certificate, and the refusal arrives later,
// as the link closing, sooner or later depending on the load.)
func (p PKI) serverTLS(mutual bool) (*tls.Config, error) {
	pair, err := tls.X509KeyPair(p.ServerCert, p.ServerKey)
	if err != nil {
		return nil, fmt.Errorf("server certificate: %w", err)
	}
	c := &tls.Config{Certificates: []tls.Certificate{pair}, MinVersion: tls.VersionTLS12, MaxVersion: tls.VersionTLS12}
	if mutual {
		pool := x509.NewCertPool()
		if !pool.AppendCertsFromPEM(p.CA) {
			return nil, fmt.Errorf("CA certificate: no PEM certificate")
		}
		c.ClientCAs = pool
		c.ClientAuth = tls.RequireAndVerifyClientCert
	}
	return c, nil
}
