package web

import (
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/go-chi/chi/v5"
)

// contactRoutes mounts the contacts page: add a phone or email (or one
// replacing another), confirm it with the code sent to it, ask for a new
// code, remove one. The contact's value is always in the form's body,
// never in the address.
func (s *Server) contactRoutes(r chi.Router) {
	r.Get("/cabinet/contacts", s.contactsPage)
	r.Post("/cabinet/contacts", s.addContact)
	r.Post("/cabinet/contacts/confirm", s.confirmContact)
	r.Post("/cabinet/contacts/code", s.contactCode)
	r.Post("/cabinet/contacts/remove", s.removeContact)
}

// contactRow is one contact as the page shows it; Key numbers its fields
// (code-0, contact-0…) so each error sits beside its own contact.
type contactRow struct {
	Channel, Value, Replaces string
	Confirmed                bool
	Key                      string
}

// contactsData is what the contacts page shows.
type contactsData struct {
	Contacts []contactRow
}

// contactsView reads the account's contacts from the cabinet into v.
func (s *Server) contactsView(w http.ResponseWriter, r *http.Request, v view) (view, bool) {
	a, _, ok := s.authed(w, r, http.MethodGet, s.accountPath(r, "/cabinet"), nil)
	if !ok {
		return v, false
	}
	if a.Status != http.StatusOK {
		s.render(w, r, "error", statusOf(a), withProblem(s.newView(r), a))
		return v, false
	}
	var d contactsData
	list, _ := a.Body["contacts"].([]any)
	for i, c := range list {
		m, _ := c.(map[string]any)
		confirmed, _ := m["confirmed"].(bool)
		d.Contacts = append(d.Contacts, contactRow{Channel: str(m, "channel"), Value: str(m, "value"),
			Replaces: str(m, "replaces"), Confirmed: confirmed, Key: strconv.Itoa(i)})
	}
	v.Data = d
	return v, true
}

// fieldOf names field (code, contact) of the contact channel/value on the
// page, "" when the page does not show it.
func fieldOf(v view, field, channel, value string) string {
	if d, ok := v.Data.(contactsData); ok {
		for _, c := range d.Contacts {
			if c.Channel == channel && c.Value == value {
				return field + "-" + c.Key
			}
		}
	}
	return ""
}

func (s *Server) contactsPage(w http.ResponseWriter, r *http.Request) {
	v, ok := s.contactsView(w, r, s.newView(r))
	if !ok {
		return
	}
	if v.Form["channel"] == "" {
		v.Form["channel"] = "phone"
	}
	s.render(w, r, "contacts", http.StatusOK, v)
}

// channelValue reads the form's channel, which must be phone or email.
func channelValue(r *http.Request) string {
	ch := r.PostFormValue("channel")
	if ch != "phone" && ch != "email" {
		return ""
	}
	return ch
}

// contactRefused shows the contacts page again with a's refusal; one that
// names no field is shown beside field.
func (s *Server) contactRefused(w http.ResponseWriter, r *http.Request, v view, a apiAnswer, field string) {
	v = withProblem(v, a)
	if field != "" && v.Fields[field] == "" {
		v.Fields[field] = v.Error
	}
	v, ok := s.contactsView(w, r, v)
	if !ok {
		return
	}
	s.render(w, r, "contacts", statusOf(a), v)
}

// addContact adds the new phone or email (replacing the one chosen); the
// API sends it a code, which the page then asks for beside it.
func (s *Server) addContact(w http.ResponseWriter, r *http.Request) {
	v := formValues(r, s.newView(r), "channel", "value", "replaces")
	ch := channelValue(r)
	if ch == "" {
		v.Fields["channel"] = messages[v.Lang]["e.enum"]
		v.Error = messages[v.Lang]["err.fix"]
		if v, ok := s.contactsView(w, r, v); ok {
			s.render(w, r, "contacts", http.StatusUnprocessableEntity, v)
		}
		return
	}
	body := map[string]string{"channel": ch, "value": strings.TrimSpace(v.Form["value"])}
	if v.Form["replaces"] != "" {
		body["replaces"] = v.Form["replaces"]
	}
	a, _, ok := s.authed(w, r, http.MethodPost, s.accountPath(r, "/contacts"), body)
	if !ok {
		return
	}
	if a.Status != http.StatusAccepted {
		s.contactRefused(w, r, v, a, "value")
		return
	}
	http.Redirect(w, r, "/cabinet/contacts", http.StatusSeeOther)
}

// contactPath names the contact channel/value for the API (its ?value=).
func (s *Server) contactPath(r *http.Request, channel, value, rest string) string {
	return s.accountPath(r, "/contacts/"+channel+rest+"?"+url.Values{"value": {value}}.Encode())
}

func (s *Server) confirmContact(w http.ResponseWriter, r *http.Request) {
	v := s.newView(r)
	ch, value := channelValue(r), r.PostFormValue("value")
	if ch == "" {
		http.Redirect(w, r, "/cabinet/contacts", http.StatusSeeOther)
		return
	}
	a, _, ok := s.authed(w, r, http.MethodPost, s.contactPath(r, ch, value, "/confirm"),
		map[string]string{"code": strings.TrimSpace(r.PostFormValue("code"))})
	if !ok {
		return
	}
	if a.Status != http.StatusOK {
		v = withProblem(v, a)
		msg := v.Fields["code"]
		if msg == "" {
			msg = v.Error
		}
		if left := num(a.Body, "attempts_left"); left != "" {
			msg += " (" + left + ")"
		}
		v, ok := s.contactsView(w, r, v)
		if !ok {
			return
		}
		if k := fieldOf(v, "code", ch, value); k != "" {
			v.Fields[k] = msg
		}
		s.render(w, r, "contacts", statusOf(a), v)
		return
	}
	http.Redirect(w, r, "/cabinet/contacts", http.StatusSeeOther)
}

func (s *Server) contactCode(w http.ResponseWriter, r *http.Request) {
	v := s.newView(r)
	ch, value := channelValue(r), r.PostFormValue("value")
	if ch == "" {
		http.Redirect(w, r, "/cabinet/contacts", http.StatusSeeOther)
		return
	}
	a, _, ok := s.authed(w, r, http.MethodPost, s.contactPath(r, ch, value, "/code"), nil)
	if !ok {
		return
	}
	if a.Status >= 300 {
		v = withProblem(v, a)
		v, ok := s.contactsView(w, r, v)
		if !ok {
			return
		}
		if k := fieldOf(v, "code", ch, value); k != "" {
			v.Fields[k] = v.Error
		}
		s.render(w, r, "contacts", statusOf(a), v)
		return
	}
	http.Redirect(w, r, "/cabinet/contacts", http.StatusSeeOther)
}

func (s *Server) removeContact(w http.ResponseWriter, r *http.Request) {
	ch, value := channelValue(r), r.PostFormValue("value")
	if ch == "" || value == "" {
		http.Redirect(w, r, "/cabinet/contacts", http.StatusSeeOther)
		return
	}
	a, _, ok := s.authed(w, r, http.MethodDelete, s.accountPath(r, "/contacts/"+ch+"/"+url.PathEscape(value)), nil)
	if !ok {
		return
	}
	if a.Status != http.StatusOK {
		v := withProblem(s.newView(r), a)
		v, ok := s.contactsView(w, r, v)
		if !ok {
			return
		}
		if k := fieldOf(v, "contact", ch, value); k != "" {
			v.Fields[k] = v.Error
		}
		s.render(w, r, "contacts", statusOf(a), v)
		return
	}
	http.Redirect(w, r, "/cabinet/contacts", http.StatusSeeOther)
}
