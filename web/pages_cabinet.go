package web

import (
	"bytes"
	"encoding/json"
	"io"
	"mime/multipart"
	"net/http"
	"net/textproto"
	"net/url"
	"strings"
)

// cabinetData is what the cabinet page shows.
type cabinetData struct {
	Cabinet      map[string]any
	Applications []any
}

func (s *Server) cabinet(w http.ResponseWriter, r *http.Request) {
	sess, _ := s.session(r)
	a, sess, ok := s.authed(w, r, http.MethodGet, "/v1/accounts/"+url.PathEscape(sess.account)+"/cabinet", nil)
	if !ok {
		return
	}
	v := s.newView(r)
	if a.Status != http.StatusOK {
		s.render(w, r, "error", statusOf(a), withProblem(v, a))
		return
	}
	apps := s.call(r, http.MethodGet, "/v1/accounts/"+url.PathEscape(sess.account)+"/applications", sess.token, nil)
	items, _ := apps.Body["items"].([]any)
	v.Data = cabinetData{Cabinet: a.Body, Applications: items}
	s.render(w, r, "cabinet", http.StatusOK, v)
}

var personalFields = []string{"surname", "given_names", "patronymic", "birth_date", "birth_country", "birth_city",
	"citizenship", "region", "city", "street", "house", "flat", "postal_code"}

func (s *Server) personalDataForm(w http.ResponseWriter, r *http.Request) {
	sess, _ := s.session(r)
	a, _, ok := s.authed(w, r, http.MethodGet, "/v1/accounts/"+url.PathEscape(sess.account)+"/cabinet", nil)
	if !ok {
		return
	}
	v := s.newView(r)
	if prof, ok := a.Body["profile"].(map[string]any); ok {
		for _, k := range []string{"surname", "given_names", "patronymic", "citizenship"} {
			v.Form[k] = str(prof, k)
		}
	}
	s.render(w, r, "personal", http.StatusOK, v)
}

// personalData sends the form as the API's personal data; the API derives
// the Latin spelling (the preview shows it while typing).
func (s *Server) personalData(w http.ResponseWriter, r *http.Request) {
	v := formValues(r, s.newView(r), personalFields...)
	f := v.Form
	body := map[string]any{
		"surname": f["surname"], "given_names": f["given_names"], "birth_date": f["birth_date"],
		"birth_place": map[string]string{"country": strings.ToUpper(f["birth_country"]), "city": f["birth_city"]},
		"citizenship": strings.ToUpper(f["citizenship"]),
		"address_ru": map[string]string{"region": f["region"], "city": f["city"], "street": f["street"],
			"house": f["house"], "flat": f["flat"], "postal_code": f["postal_code"]},
	}
	if f["patronymic"] != "" {
		body["patronymic"] = f["patronymic"]
	}
	sess, _ := s.session(r)
	a, _, ok := s.authed(w, r, http.MethodPut, "/v1/accounts/"+url.PathEscape(sess.account)+"/personal-data", body)
	if !ok {
		return
	}
	if a.Status != http.StatusOK {
		v = withProblem(v, a)
		for k, m := range v.Fields { // the API names nested fields with their path
			if i := strings.LastIndex(k, "."); i >= 0 {
				v.Fields[fieldAlias(k)] = m
			}
		}
		s.render(w, r, "personal", statusOf(a), v)
		return
	}
	http.Redirect(w, r, "/cabinet", http.StatusSeeOther)
}

// fieldAlias maps the API's nested field names onto the form's.
func fieldAlias(k string) string {
	switch k {
	case "birth_place.country":
		return "birth_country"
	case "birth_place.city":
		return "birth_city"
	}
	return k[strings.LastIndex(k, ".")+1:]
}

func (s *Server) documentsForm(w http.ResponseWriter, r *http.Request) {
	s.render(w, r, "documents", http.StatusOK, s.newView(r))
}

var documentFields = []string{"kind", "type", "series", "number", "issued_at", "expires_at", "issuer"}

// uploadDocument passes the document and its scan to the API as the
// multipart upload it takes; the scan's errors (type, size) come back next
// to the file field.
func (s *Server) uploadDocument(w http.ResponseWriter, r *http.Request) {
	r.Body = http.MaxBytesReader(w, r.Body, 6<<20)
	if err := r.ParseMultipartForm(6 << 20); err != nil {
		v := s.newView(r)
		v.Fields["file"] = messages[v.Lang]["f.file"]
		v.Error = messages[v.Lang]["err.fix"]
		s.render(w, r, "documents", http.StatusRequestEntityTooLarge, v)
		return
	}
	v := s.newView(r)
	for _, n := range documentFields {
		v.Form[n] = r.FormValue(n)
	}
	meta := map[string]string{}
	for _, n := range documentFields {
		if v.Form[n] != "" {
			meta[n] = v.Form[n]
		}
	}
	body, err := documentUpload(meta, r)
	if err != nil {
		v.Fields["file"] = messages[v.Lang]["f.file"]
		v.Error = messages[v.Lang]["err.fix"]
		s.render(w, r, "documents", http.StatusBadRequest, v)
		return
	}
	sess, _ := s.session(r)
	a, _, ok := s.authed(w, r, http.MethodPost, "/v1/accounts/"+url.PathEscape(sess.account)+"/documents", body)
	if !ok {
		return
	}
	if a.Status != http.StatusCreated {
		v = withProblem(v, a)
		if p := a.Problem(); p.Code == "file_type" || p.Code == "file_too_large" || p.Code == "body_too_large" {
			v.Fields["file"] = v.Error
		}
		s.render(w, r, "documents", statusOf(a), v)
		return
	}
	http.Redirect(w, r, "/cabinet", http.StatusSeeOther)
}

// documentUpload builds the API's multipart body: the meta part, then the
// file part as the browser sent it.
func documentUpload(meta map[string]string, r *http.Request) (*multipartBody, error) {
	file, hdr, err := r.FormFile("file")
	if err != nil {
		return nil, err
	}
	defer file.Close()
	var buf bytes.Buffer
	mw := multipart.NewWriter(&buf)
	mh := textproto.MIMEHeader{}
	mh.Set("Content-Disposition", `form-data; name="meta"`)
	mh.Set("Content-Type", "application/json")
	pw, err := mw.CreatePart(mh)
	if err != nil {
		return nil, err
	}
	if err := json.NewEncoder(pw).Encode(meta); err != nil {
		return nil, err
	}
	fh := textproto.MIMEHeader{}
	fh.Set("Content-Disposition", `form-data; name="file"; filename="scan"`)
	if ct := hdr.Header.Get("Content-Type"); ct != "" {
		fh.Set("Content-Type", ct)
	}
	fw, err := mw.CreatePart(fh)
	if err != nil {
		return nil, err
	}
	if _, err := io.Copy(fw, file); err != nil {
		return nil, err
	}
	if err := mw.Close(); err != nil {
		return nil, err
	}
	return &multipartBody{data: buf.Bytes(), ctype: mw.FormDataContentType()}, nil
}

// translit answers the Latin spelling of the posted text for the form's
// preview. The name travels in the body, never in a URL that proxies or
// logs would keep.
func (s *Server) translit(w http.ResponseWriter, r *http.Request) {
	r.Body = http.MaxBytesReader(w, r.Body, 4<<10)
	if err := r.ParseForm(); err != nil {
		http.Error(w, "bad form", http.StatusBadRequest)
		return
	}
	text := r.PostForm.Get("text")
	if rs := []rune(text); len(rs) > 200 {
		text = string(rs[:200])
	}
	w.Header().Set("Content-Type", "application/json")
	json.NewEncoder(w).Encode(map[string]string{"latin": s.cfg.Transliterate(text)}) //nolint:errcheck // the client is gone
}
