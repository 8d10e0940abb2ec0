package plextest

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
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/authsdk/authsdk/api"
	"github.com/authsdk/authsdk/internal/fake"
	"github.com/authsdk/authsdk/sdk/plex"
)

// NewTLSMediaServer starts a MediaServer that serves https as a real one
// does: with a certificate for *.<hash>.plex.direct (hash: 32 random hex
// digits, as Plex issues them per server), signed by a test CA that
// TLSRoots returns. Its Connection lists
// https://127-0-0-1.<hash>.plex.direct:PORT, a name that resolves nowhere
// offline — as behind a router that blocks DNS rebinding — so a client
// reaches it only by dialing the connection's address and verifying the
// certificate against that name.
func NewTLSMediaServer(machineIdentifier, accessToken string) *MediaServer {
	f, err := fake.New(fake.Config{Spec: api.PlexSpec, Authenticate: authenticate, ErrorBody: errorBody})
	if err != nil {
		panic(err)
	}
	m := &MediaServer{MachineIdentifier: machineIdentifier, AccessToken: accessToken, f: f, stopped: make(chan struct{})}
	m.hash = randomHex(16)
	ca, leaf, err := plexDirectCerts(m.hash)
	if err != nil {
		panic(err)
	}
	m.roots = x509.NewCertPool()
	m.roots.AddCert(ca)
	m.caPEM = pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: ca.Raw})
	f.HandleOperation("getIdentity", "", m.identity)
	f.HandleOperation("getTransientToken", "", m.transientToken)
	f.StartTLS(&tls.Config{Certificates: []tls.Certificate{leaf}, MinVersion: tls.VersionTLS12})
	m.URL = f.URL
	return m
}

// Hash is the 32 hex digits of the server's *.<hash>.plex.direct
// certificate; "" for a plain-http MediaServer.
func (m *MediaServer) Hash() string { return m.hash }

// TLSRoots is the pool holding the test CA that signed the server's
// certificate: put it in your transport's TLSClientConfig.RootCAs. Nil for
// a plain-http MediaServer.
func (m *MediaServer) TLSRoots() *x509.CertPool { return m.roots }

// TLSRootPEM is the test CA's certificate in PEM, for programs that read
// roots from a file (SSL_CERT_FILE); nil for a plain-http MediaServer.
func (m *MediaServer) TLSRootPEM() []byte { return m.caPEM }

// PlexDirectURL is the server's https URL under its plex.direct name:
// https://127-0-0-1.<hash>.plex.direct:PORT ("" for a plain-http server).
func (m *MediaServer) PlexDirectURL() string {
	if m.hash == "" {
		return ""
	}
	u, _ := url.Parse(m.URL)
	return "https://" + strings.ReplaceAll(u.Hostname(), ".", "-") + "." + m.hash + ".plex.direct:" + u.Port()
}

// tlsConnection is Connection for a TLS server: plex.tv lists the
// plex.direct URI with the address and port it stands for.
func (m *MediaServer) tlsConnection(local, relay bool) plex.Connection {
	u, _ := url.Parse(m.URL)
	port, _ := strconv.Atoi(u.Port())
	return plex.Connection{Protocol: "https", Address: u.Hostname(), Port: port, URI: m.PlexDirectURL(), Local: local, Relay: relay}
}

// plexDirectCerts makes a CA and a leaf for *.<hash>.plex.direct.
func plexDirectCerts(hash string) (*x509.Certificate, tls.Certificate, error) {
	caKey, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, tls.Certificate{}, err
	}
	now := time.Now()
	caTmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "plextest CA"},
		NotBefore: now.Add(-time.Hour), NotAfter: now.Add(10 * 365 * 24 * time.Hour),
		IsCA: true, BasicConstraintsValid: true, KeyUsage: x509.KeyUsageCertSign,
	}
	caDER, err := x509.CreateCertificate(rand.Reader, caTmpl, caTmpl, &caKey.PublicKey, caKey)
	if err != nil {
		return nil, tls.Certificate{}, err
	}
	ca, err := x509.ParseCertificate(caDER)
	if err != nil {
		return nil, tls.Certificate{}, err
	}
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, tls.Certificate{}, err
	}
	name := fmt.Sprintf("*.%s.plex.direct", hash)
	leafTmpl := &x509.Certificate{
		SerialNumber: big.NewInt(2), Subject: pkix.Name{CommonName: name}, DNSNames: []string{name},
		NotBefore: now.Add(-time.Hour), NotAfter: now.Add(10 * 365 * 24 * time.Hour),
		KeyUsage: x509.KeyUsageDigitalSignature, ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
	}
	der, err := x509.CreateCertificate(rand.Reader, leafTmpl, ca, &key.PublicKey, caKey)
	if err != nil {
		return nil, tls.Certificate{}, err
	}
	return ca, tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key}, nil
}
