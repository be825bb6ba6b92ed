package httpx

import "net/http"

// UserAgent is the request's user agent as Kabinet stores it (event
// metadata, the journal): CutUserAgent's form, whether or not the input
// middleware already cut it.
func UserAgent(r *http.Request) string { return CutUserAgent(r.UserAgent()) }
