package publish

import (
	"net/http"
	"net/http/httptest"
)

type httptestServer = httptest.Server

func newHTTPTest(h interface{ Handler() http.Handler }) *httptest.Server {
	return httptest.NewServer(h.Handler())
}
