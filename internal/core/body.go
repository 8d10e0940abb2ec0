package core

import (
	"io"
	"net/http"
	"sync"

	"github.com/authsdk/authsdk/sdk"
)

// readBody reads a response body to EOF and closes it, refusing more than
// MaxResponseBytes. Content-Length only sizes the first buffer (capped) and
// refuses early when it already exceeds the bound: test transports set it
// to 0 or leave it wrong.
func readBody(rsp *http.Response, limit int) ([]byte, error) {
	defer rsp.Body.Close()
	if rsp.ContentLength > int64(limit) {
		return nil, sdk.ErrResponseTooLarge
	}
	size := 512
	if rsp.ContentLength > 0 {
		size = int(min(rsp.ContentLength, firstBufCap)) + 1 // +1: room to see EOF without growing
	}
	var buf []byte
	if p, ok := bodyPool.Get().(*[]byte); ok && cap(*p) >= size {
		buf = (*p)[:0]
	} else {
		buf = make([]byte, 0, max(size, pooledBody))
	}
	for {
		if len(buf) == cap(buf) {
			buf = append(buf, 0)[:len(buf)]
		}
		n, err := rsp.Body.Read(buf[len(buf):min(cap(buf), limit+1)])
		buf = buf[:len(buf)+n]
		if len(buf) > limit {
			return nil, sdk.ErrResponseTooLarge
		}
		if err == io.EOF {
			return buf, nil
		}
		if err != nil {
			return nil, err
		}
	}
}

// bodyPool keeps read buffers of up to pooledBody bytes between calls:
// most answers are a few KiB, and a buffer per call was garbage the moment
// the answer was decoded (nothing decoded keeps a reference to it).
var bodyPool sync.Pool // *[]byte

const pooledBody = 16 << 10

// release hands the call's body buffer back for another call; the body
// must not be used afterwards (errors hold copies).
func (c *call) release() {
	if b := c.body; cap(b) >= pooledBody && cap(b) <= 4*pooledBody {
		b = b[:0]
		bodyPool.Put(&b)
	}
	c.body = nil
}

// MaxResponseBytes bounds every response body the SDK reads.
const MaxResponseBytes = 16 << 20

// firstBufCap caps the buffer sized from Content-Length: a lying header
// must not make the SDK allocate what it says.
const firstBufCap = 64 << 10
