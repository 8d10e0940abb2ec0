package core

import (
	"crypto/tls"
	"crypto/x509"
	"errors"
	"io"
	"net"
	"net/http"
	"net/url"
	"syscall"

	"github.com/authsdk/authsdk/sdk"
)

// Transient reports whether a call that failed with err may succeed if
// made again later: no answer at all (not an answer too large), a 5xx, or
// throttling (429). Loops above single calls (PIN polls, token refreshes)
// decide with it; the attempt loop itself follows the call's RetryConfig.
func Transient(err error) bool {
	var api *sdk.APIError
	if errors.As(err, &api) {
		return api.StatusCode >= 500 || api.StatusCode == http.StatusTooManyRequests
	}
	var te *sdk.TransportError
	return errors.As(err, &te) && !errors.Is(err, sdk.ErrResponseTooLarge)
}

// retryableAnswer says whether an answer may be retried: its status is one
// the policy retries, the request was idempotent or certainly not
// processed, and the API does not veto it (NeverRetry).
func (c *call) retryableAnswer(code int, contentType string, body []byte) bool {
	if !c.policy.retriesStatus(code) {
		return false
	}
	// A non-idempotent request is retried only when it certainly was not processed.
	if !c.op.Idempotent && code != http.StatusTooManyRequests {
		return false
	}
	return c.core.neverRetry == nil || !c.core.neverRetry(code, contentType, body)
}

// retryableError says whether a transport failure may be retried. The cause
// inside *url.Error decides (every *url.Error is a net.Error). Only
// failures that may pass are retried: for any operation, a connection that
// could not be made; for idempotent ones also a dropped, reset or timed-out
// one. Certificate and TLS failures, refused redirects, bad schemes and
// invalid headers fail the same way every time.
func (c *call) retryableError(err error) bool {
	if !c.policy.retryConns {
		return false
	}
	var ue *url.Error
	if errors.As(err, &ue) {
		err = ue.Err
	}
	if permanent(err) {
		return false
	}
	var op *net.OpError
	if errors.As(err, &op) && op.Op == "dial" || errors.Is(err, syscall.ECONNREFUSED) {
		return true
	}
	if !c.op.Idempotent {
		return false
	}
	if errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, io.EOF) || errors.Is(err, syscall.ECONNRESET) ||
		errors.Is(err, syscall.EPIPE) || errors.Is(err, syscall.ECONNABORTED) {
		return true
	}
	var ne net.Error
	return errors.As(err, &ne) && ne.Timeout()
}

func permanent(err error) bool {
	var (
		re  *redirectError
		cve *tls.CertificateVerificationError
		rhe tls.RecordHeaderError
		ae  tls.AlertError
		uae x509.UnknownAuthorityError
		he  x509.HostnameError
		cie x509.CertificateInvalidError
	)
	return errors.As(err, &re) || errors.As(err, &cve) || errors.As(err, &rhe) || errors.As(err, &ae) ||
		errors.As(err, &uae) || errors.As(err, &he) || errors.As(err, &cie)
}
